using System.Security.Cryptography.X509Certificates;
using Grpc.Core;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace ExchangeGateway.Server.Identity;

/// <summary>Turns the client certificate of a connection into the calling organisation. Reads the
/// current registry on every call, so a reloaded registry applies to the next call.</summary>
internal sealed partial class CallerResolver(
    ClientCertificateValidator validator,
    FileBackedValue<OrganisationRegistry> registry,
    ILogger<CallerResolver> logger)
{
    public Caller Resolve(HttpContext http) => Resolve(http.Connection.ClientCertificate, null);

    /// <summary>The caller presenting <paramref name="certificate"/>, or an RpcException saying why it
    /// is refused (UNAUTHENTICATED for the certificate, PERMISSION_DENIED for an unknown OIN).</summary>
    public Caller Resolve(X509Certificate2? certificate, X509Certificate2Collection? intermediates)
    {
        if (CertificateRefusal(certificate, intermediates) is { } refusal)
        {
            throw refusal;
        }
        var oin = CertificateIdentity.ReadOin(certificate!)!;
        var organisation = registry.Current.FindByOin(oin);
        if (organisation is null)
        {
            LogRefusedOin(logger, certificate!.Thumbprint, oin);
            throw GatewayErrors.PermissionDenied("UNKNOWN_OIN", $"OIN {oin} is not registered with the gateway.");
        }
        return new Caller(organisation, oin);
    }

    /// <summary>Why the certificate itself is refused (UNAUTHENTICATED: none, not valid, no OIN), or
    /// null when it is acceptable; whether its organisation is registered is a question per call.</summary>
    public RpcException? CertificateRefusal(X509Certificate2? certificate, X509Certificate2Collection? intermediates)
    {
        if (certificate is null)
        {
            return GatewayErrors.Unauthenticated("CLIENT_CERTIFICATE_REQUIRED", "A client certificate is required (mutual TLS).");
        }
        if (validator.Validate(certificate, intermediates) is { } failure)
        {
            LogRefused(logger, certificate.Thumbprint, failure);
            return GatewayErrors.Unauthenticated("CLIENT_CERTIFICATE_REFUSED", "The client certificate is not accepted: " + failure + ".");
        }
        if (CertificateIdentity.ReadOin(certificate) is null)
        {
            LogRefused(logger, certificate.Thumbprint, "no OIN in subject serialNumber");
            return GatewayErrors.Unauthenticated("OIN_MISSING", "The client certificate carries no OIN in its subject serialNumber.");
        }
        return null;
    }

    /// <summary>Whether the holder of an open stream on <paramref name="feed"/> may still hold it:
    /// null if so, else the error to end the stream with.</summary>
    public RpcException? Recheck(X509Certificate2 certificate, X509Certificate2Collection? intermediates, string feed)
    {
        try
        {
            var caller = Resolve(certificate, intermediates);
            return caller.Organisation.Feeds.Contains(feed, StringComparer.Ordinal)
                ? null
                : GatewayErrors.PermissionDenied("NOT_YOUR_FEED", "Your organisation no longer serves this feed.");
        }
        catch (RpcException refused)
        {
            return refused;
        }
    }

    [LoggerMessage(EventId = 8002, Level = LogLevel.Warning, Message = "Refused client certificate {Thumbprint}: {Reason}.")]
    private static partial void LogRefused(ILogger logger, string thumbprint, string reason);

    [LoggerMessage(EventId = 8003, Level = LogLevel.Warning, Message = "Refused client certificate {Thumbprint}: OIN {Oin} is not in the organisation registry.")]
    private static partial void LogRefusedOin(ILogger logger, string thumbprint, string oin);
}
