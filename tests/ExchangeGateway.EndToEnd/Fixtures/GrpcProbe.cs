using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using ExchangeGateway.Contracts.V1;
using Grpc.Core;
using Grpc.Net.Client;

namespace ExchangeGateway.EndToEnd.Fixtures;

/// <summary>One Ping over a new connection presenting a given client certificate (or none), without
/// the SDK's retries: what a client learns about its certificate from the gateway.</summary>
public static class GrpcProbe
{
    /// <summary>Null when the gateway answered OK; else its refusal.</summary>
    public static async Task<RpcException?> PingAsync(Uri address, X509Certificate2? clientCertificate)
    {
        using var handler = new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions
            {
                ClientCertificates = clientCertificate is null ? null : [clientCertificate],
                // The probe is about the client's certificate; the server's is checked elsewhere.
#pragma warning disable CA5359
                RemoteCertificateValidationCallback = (_, _, _, _) => true,
#pragma warning restore CA5359
            },
        };
        using var channel = GrpcChannel.ForAddress(address, new GrpcChannelOptions { HttpHandler = handler });
        try
        {
            await new GatewayService.GatewayServiceClient(channel).PingAsync(new PingRequest(), deadline: DateTime.UtcNow.AddSeconds(20));
            return null;
        }
        catch (RpcException refusal)
        {
            return refusal;
        }
    }

    /// <summary>Asserts the gateway refused the certificate itself: UNAUTHENTICATED naming why, the
    /// answer a client recognises as a refusal (an outage would be UNAVAILABLE).</summary>
    public static void AssertCertificateRefused(RpcException? refusal, string because)
    {
        Assert.True(refusal is not null, "The gateway accepted a certificate it should refuse.");
        Assert.Equal(StatusCode.Unauthenticated, refusal.StatusCode);
        Assert.Contains("not accepted", refusal.Status.Detail, StringComparison.Ordinal);
        Assert.Contains(because, refusal.Status.Detail, StringComparison.OrdinalIgnoreCase);
    }
}
