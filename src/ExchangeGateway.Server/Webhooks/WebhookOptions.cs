namespace ExchangeGateway.Server.Webhooks;

/// <summary>How the gateway posts feeds to webhook receivers (configuration section
/// <c>Gateway:Webhooks</c>). The subscriptions themselves (which feed to which URL, the secret) are
/// in the organisation registry.</summary>
public sealed class WebhookOptions
{
    /// <summary>The gateway's own client certificate (PEM, extended key usage clientAuth), presented to
    /// every receiver; <c>exgw certs init</c> makes a development one. Required once a subscription exists.</summary>
    public string? ClientCertificatePath { get; set; }

    /// <summary>Its private key (PEM).</summary>
    public string? ClientKeyPath { get; set; }

    /// <summary>The CA certificates (PEM) that receivers' server certificates must chain to; the
    /// machine's trust store is never used. Required once a subscription exists.</summary>
    public string? TrustAnchorsPath { get; set; }

    /// <summary>Networks (CIDR, e.g. "10.20.0.0/16") a receiver may be in although they are not public:
    /// loopback, private, link-local, CGNAT and the gateway's own addresses are refused otherwise.</summary>
    public IList<string> AllowedNetworks { get; } = [];

    /// <summary>The base URL of the gateway's REST surface as receivers reach it (e.g.
    /// "https://exchange.example.nl"): thin events then carry a <c>dataref</c> to the arrival there.</summary>
    public string? PublicBaseUrl { get; set; }

    /// <summary>How long one POST may take, connection included, before it counts as failed.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The first retry's delay; each next one doubles, with jitter, up to <see cref="MaxRetryDelay"/>.</summary>
    public TimeSpan FirstRetryDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest wait between two attempts (a <c>Retry-After</c> asking more is capped to it).</summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Requests at once per subscription when the registry names no number.</summary>
    public int DefaultConcurrency { get; set; } = 4;

    /// <summary>Most requests at once per subscription, whatever the registry says.</summary>
    public int MaxConcurrency { get; set; } = 32;
}
