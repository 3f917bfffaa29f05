using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Grpc.Net.Client;

namespace ExchangeGateway.Client.Connection;

/// <summary>Creates the gRPC channel to the gateway: HTTP/2 over mutual TLS 1.2+, the server checked
/// against the configured anchors only, keepalive pings for long-lived streams.</summary>
public static class GatewayChannel
{
    public static GrpcChannel Create(GatewayConnectionOptions options)
    {
        var handler = CreateHandler(options);
        return GrpcChannel.ForAddress(options.Address, new GrpcChannelOptions
        {
            HttpHandler = handler,
            DisposeHttpClient = true,
            MaxReceiveMessageSize = 16 * 1024 * 1024,
        });
    }

    /// <summary>The HTTP handler under the channel: also what an <see cref="HttpClient"/> for the
    /// gateway's REST surface needs (the same certificate and server check).</summary>
    public static SocketsHttpHandler CreateHandler(GatewayConnectionOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var anchors = options.ServerTrustAnchors;
        return new SocketsHttpHandler
        {
            KeepAlivePingDelay = options.KeepAlivePingDelay,
            KeepAlivePingTimeout = options.KeepAlivePingTimeout,
            KeepAlivePingPolicy = HttpKeepAlivePingPolicy.Always,
            PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
            EnableMultipleHttp2Connections = true,
            ConnectTimeout = TimeSpan.FromSeconds(10),
            SslOptions = new SslClientAuthenticationOptions
            {
                EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
                ClientCertificates = [options.ClientCertificate],
                RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
                    certificate is X509Certificate2 server && IsTrusted(server, anchors, errors),
            },
        };
    }

    private static bool IsTrusted(X509Certificate2 server, X509Certificate2Collection anchors, SslPolicyErrors errors)
    {
        // The host name must match; the chain is judged against our anchors, not the machine's store.
        if ((errors & (SslPolicyErrors.RemoteCertificateNameMismatch | SslPolicyErrors.RemoteCertificateNotAvailable)) != 0)
        {
            return false;
        }
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(anchors);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(server);
    }
}
