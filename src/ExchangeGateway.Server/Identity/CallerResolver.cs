using ExchangeGateway.Server.Errors;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace ExchangeGateway.Server.Identity;

/// <summary>Turns the client certificate of a connection into the calling organisation.</summary>
internal sealed partial class CallerResolver(
    ClientCertificateValidator validator,
    OrganisationRegistry registry,
    ILogger<CallerResolver> logger)
{
    public Caller Resolve(HttpContext http)
    {
        var certificate = http.Connection.ClientCertificate;
        if (certificate is null)
        {
            throw GatewayErrors.Unauthenticated("CLIENT_CERTIFICATE_REQUIRED", "A client certificate is required (mutual TLS).");
        }
        if (validator.Validate(certificate) is { } failure)
        {
            LogRefused(logger, certificate.Thumbprint, failure);
            throw GatewayErrors.Unauthenticated("CLIENT_CERTIFICATE_REFUSED", "The client certificate is not accepted: " + failure + ".");
        }
        var oin = CertificateIdentity.ReadOin(certificate);
        if (oin is null)
        {
            LogRefused(logger, certificate.Thumbprint, "no OIN in subject serialNumber");
            throw GatewayErrors.Unauthenticated("OIN_MISSING", "The client certificate carries no OIN in its subject serialNumber.");
        }
        var organisation = registry.FindByOin(oin);
        if (organisation is null)
        {
            LogRefused(logger, certificate.Thumbprint, "OIN not in the organisation registry");
            throw GatewayErrors.PermissionDenied("UNKNOWN_OIN", $"OIN {oin} is not registered with the gateway.");
        }
        return new Caller(organisation, oin);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refused client certificate {Thumbprint}: {Reason}.")]
    private static partial void LogRefused(ILogger logger, string thumbprint, string reason);
}
