using System.Net;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ExchangeGateway.Server.Webhooks;

/// <summary>The HTTPS client of every webhook: the gateway's own client certificate (clientAuth),
/// receivers' server certificates checked against <c>Gateway:Webhooks:TrustAnchorsPath</c> and their
/// name, TLS 1.2 or later, no proxy, no cookies, no redirects followed (a 3xx is an answer like any
/// other), and every connection's address checked by <see cref="WebhookAddressGuard"/>. The certificate
/// and anchors are read again when they change on disk; a new connection uses what is in effect.</summary>
internal sealed class WebhookTransport : IReloadable, IDisposable
{
    private static readonly Oid ServerAuthentication = new("1.3.6.1.5.5.7.3.1");

    private readonly FileBackedValue<WebhookTlsMaterial>? _tls;
    private readonly HttpClient? _client;

    public WebhookTransport(IOptions<GatewayOptions> options, ILoggerFactory loggers)
    {
        var settings = options.Value.Webhooks;
        Guard = new WebhookAddressGuard([.. settings.AllowedNetworks.Select(IPNetwork.Parse)]);
        if (settings.ClientCertificatePath is not { Length: > 0 } certificate || settings.ClientKeyPath is not { Length: > 0 } key
            || settings.TrustAnchorsPath is not { Length: > 0 } anchors)
        {
            Missing = "Gateway:Webhooks:ClientCertificatePath, ClientKeyPath and TrustAnchorsPath must be set for webhook delivery";
            return;
        }
        _tls = new FileBackedValue<WebhookTlsMaterial>("webhook client certificate and receiver anchors", [certificate, key, anchors],
            () => WebhookTlsMaterial.Load(certificate, key, anchors), loggers.CreateLogger("ExchangeGateway.Server.Hosting.FileReloader"));
        var tls = _tls;
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseProxy = false,
            UseCookies = false,
            AutomaticDecompression = DecompressionMethods.None,
            ConnectTimeout = settings.RequestTimeout,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1),
            ConnectCallback = Guard.ConnectAsync,
            SslOptions = new SslClientAuthenticationOptions
            {
                EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
                CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
                LocalCertificateSelectionCallback = (_, _, _, _, _) => tls.Current.Certificate,
                RemoteCertificateValidationCallback = (_, presented, chain, errors) =>
                    presented is X509Certificate2 server && Trusted(tls.Current, server, chain, errors),
            },
        };
        // Each request's time limit is the delivery's (it moves with the TimeProvider); none here.
        _client = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
    }

    public WebhookAddressGuard Guard { get; }

    /// <summary>Why webhooks cannot be sent (settings missing), or null.</summary>
    public string? Missing { get; }

    public HttpClient Client => _client ?? throw new InvalidOperationException(Missing);

    public bool Refresh() => _tls?.Refresh() ?? false;

    /// <summary>The receiver's certificate chains to an anchor, is for the host asked for, and may serve TLS.</summary>
    private static bool Trusted(WebhookTlsMaterial tls, X509Certificate2 server, X509Chain? sent, SslPolicyErrors errors)
    {
        if ((errors & (SslPolicyErrors.RemoteCertificateNameMismatch | SslPolicyErrors.RemoteCertificateNotAvailable)) != 0)
        {
            return false;
        }
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(tls.Anchors);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.ApplicationPolicy.Add(ServerAuthentication);
        if (sent is not null)
        {
            chain.ChainPolicy.ExtraStore.AddRange(sent.ChainPolicy.ExtraStore);
            foreach (var element in sent.ChainElements)
            {
                chain.ChainPolicy.ExtraStore.Add(element.Certificate);
            }
        }
        return chain.Build(server);
    }

    public void Dispose()
    {
        _client?.Dispose();
    }
}

/// <summary>The gateway's webhook client certificate and the anchors receivers must chain to.</summary>
internal sealed class WebhookTlsMaterial(X509Certificate2 certificate, X509Certificate2Collection anchors)
{
    private const string ClientAuthentication = "1.3.6.1.5.5.7.3.2";

    public X509Certificate2 Certificate { get; } = certificate;

    public X509Certificate2Collection Anchors { get; } = anchors;

    public static WebhookTlsMaterial Load(string certificatePath, string keyPath, string anchorsPath)
    {
        var certificate = X509Certificate2.CreateFromPemFile(certificatePath, keyPath);
        var usage = certificate.Extensions.OfType<X509EnhancedKeyUsageExtension>().SingleOrDefault();
        if (usage is not null && !usage.EnhancedKeyUsages.Cast<Oid>().Any(o => o.Value == ClientAuthentication))
        {
            throw new InvalidDataException($"{certificatePath} may not be used for client authentication (its extended key usage lacks clientAuth).");
        }
        var anchors = new X509Certificate2Collection();
        anchors.ImportFromPemFile(anchorsPath);
        if (anchors.Count == 0)
        {
            throw new InvalidDataException($"{anchorsPath} holds no certificate.");
        }
        return new WebhookTlsMaterial(certificate, anchors);
    }
}
