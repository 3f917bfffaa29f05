using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;

namespace ExchangeGateway.EndToEnd.Fixtures;

/// <summary>One raw TLS connection to the gateway, to see what the handshake itself negotiates and
/// refuses (the SDK hides both). Each probe is a new TCP connection and a new handshake.</summary>
public sealed class TlsProbe
{
    private static readonly byte[] Http2Preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8.ToArray();

    /// <summary>An empty HTTP/2 SETTINGS frame: length 0, type 4, flags 0, stream 0.</summary>
    private static readonly byte[] EmptySettings = [0, 0, 0, 4, 0, 0, 0, 0, 0];

    public required SslProtocols Protocol { get; init; }

    public required TlsCipherSuite CipherSuite { get; init; }

    public required X509Certificate2 ServerCertificate { get; init; }

    /// <summary>Whether the server went on to speak HTTP/2 after the handshake, i.e. accepted the
    /// client certificate (with TLS 1.3 the server judges it after the client considers the handshake
    /// done, so a refusal shows as the connection closing on the first read).</summary>
    public required bool Accepted { get; init; }

    /// <summary>Connects and shakes hands; throws AuthenticationException (or IOException) when the
    /// handshake fails.</summary>
    public static async Task<TlsProbe> ConnectAsync(Uri address, X509Certificate2? clientCertificate,
        SslProtocols protocols = SslProtocols.None, CipherSuitesPolicy? cipherSuites = null)
    {
        using var tcp = new TcpClient();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await tcp.ConnectAsync(address.Host, address.Port, timeout.Token);
        await using var ssl = new SslStream(tcp.GetStream());
        await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = "localhost",
            ClientCertificates = clientCertificate is null ? null : [clientCertificate],
            EnabledSslProtocols = protocols,
            CipherSuitesPolicy = cipherSuites,
            ApplicationProtocols = [SslApplicationProtocol.Http2],
            // The tests look at the server certificate themselves (rotation tests compare it).
#pragma warning disable CA5359
            RemoteCertificateValidationCallback = (_, _, _, _) => true,
#pragma warning restore CA5359
        }, timeout.Token);
        var server = X509CertificateLoader.LoadCertificate(ssl.RemoteCertificate!.GetRawCertData());
        bool accepted;
        try
        {
            await ssl.WriteAsync(Http2Preface, timeout.Token);
            await ssl.WriteAsync(EmptySettings, timeout.Token);
            var buffer = new byte[64];
            accepted = await ssl.ReadAsync(buffer, timeout.Token) > 0;
        }
        catch (Exception exception) when (exception is IOException or AuthenticationException)
        {
            accepted = false;
        }
        return new TlsProbe { Protocol = ssl.SslProtocol, CipherSuite = ssl.NegotiatedCipherSuite, ServerCertificate = server, Accepted = accepted };
    }
}
