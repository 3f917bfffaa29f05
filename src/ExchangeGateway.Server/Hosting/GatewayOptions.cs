using ExchangeGateway.Server.Storage;

namespace ExchangeGateway.Server.Hosting;

/// <summary>The gateway's settings (configuration section <c>Gateway</c>). Every default is documented
/// in the README.</summary>
public sealed class GatewayOptions
{
    public const string Section = "Gateway";

    /// <summary>The gateway's own OIN: the <c>source</c> of notices it raises itself (escalations).</summary>
    public string GatewayOin { get; set; } = "00000099000000000000";

    /// <summary>How long a request_id is remembered per organisation (Digikoppeling's duplicate-id retention).</summary>
    public TimeSpan RequestIdRetention { get; set; } = TimeSpan.FromDays(5);

    /// <summary>Most travellers one arrival may list.</summary>
    public int MaxTravellersPerArrival { get; set; } = 25;

    /// <summary>Unacknowledged notices per stream when the subscriber asks for no particular number.</summary>
    public int DefaultStreamWindow { get; set; } = 100;

    /// <summary>Most unacknowledged notices per stream, whatever the subscriber asks for.</summary>
    public int MaxStreamWindow { get; set; } = 1000;

    /// <summary>A notice sent on a stream and not acknowledged within this time is sent again.</summary>
    public TimeSpan RedeliveryTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>A notice not acknowledged within this time escalates (municipality feeds to COA and
    /// chain coordination; COA and IND feeds to chain coordination).</summary>
    public TimeSpan AcknowledgementDeadline { get; set; } = TimeSpan.FromHours(4);

    /// <summary>How often the gateway looks for passed deadlines.</summary>
    public TimeSpan DeadlineSweepInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Most writes committed together in one transaction (group commit).</summary>
    public int MaxWriteBatch { get; set; } = 256;

    /// <summary>RvIG table 33 as CSV; defaults to the copy shipped with the gateway.</summary>
    public string MunicipalityTablePath { get; set; } = Path.Combine(AppContext.BaseDirectory, "data", "gemeententabel.csv");

    /// <summary>The organisation registry (OIN to organisation), JSON. Reloaded when it changes.</summary>
    public string? OrganisationRegistryPath { get; set; }

    /// <summary>How often the server certificate, trust anchors, CRLs and organisation registry are
    /// looked at for changes on disk; a change takes effect within this time, without a restart.</summary>
    public TimeSpan FileReloadInterval { get; set; } = TimeSpan.FromSeconds(5);

    public TlsOptions Tls { get; set; } = new();

    public StorageOptions Storage { get; set; } = new();
}

/// <summary>Mutual TLS material, as PEM (and DER for CRLs) files. Each is reloaded when it changes.</summary>
public sealed class TlsOptions
{
    /// <summary>The server's certificate (PEM), with intermediates after it where there are any.</summary>
    public string? CertificatePath { get; set; }

    /// <summary>The server's private key (PEM).</summary>
    public string? KeyPath { get; set; }

    /// <summary>The CA certificates (PEM, one or more) that client certificates must chain to. The
    /// machine's trust store is never used.</summary>
    public string? TrustAnchorsPath { get; set; }

    /// <summary>Certificate revocation lists (PEM or DER), each signed by one of the trust anchors. A
    /// client certificate whose serial is on the CRL of its issuer is refused. None by default.</summary>
    public IList<string> CrlPaths { get; } = [];
}
