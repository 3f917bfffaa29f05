using ExchangeGateway.Server.Retention;
using ExchangeGateway.Server.Limits;

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

    /// <summary>The longest a pull consumer's FetchNotices may wait for a notice (long poll): at most this
    /// and half of <c>Limits:MaxUnaryCallDuration</c>, so a fetch that waits still answers in time. Keep it
    /// under what proxies in front allow an idle request.</summary>
    public TimeSpan MaxFetchWait { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>A notice sent on a stream and not acknowledged within this time is sent again.</summary>
    public TimeSpan RedeliveryTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>A notice not acknowledged within this time escalates (municipality feeds to COA and
    /// chain coordination; COA and IND feeds to chain coordination).</summary>
    public TimeSpan AcknowledgementDeadline { get; set; } = TimeSpan.FromHours(4);

    /// <summary>How often the gateway looks for passed deadlines.</summary>
    public TimeSpan DeadlineSweepInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Most writes committed together in one transaction (group commit).</summary>
    public int MaxWriteBatch { get; set; } = 256;

    /// <summary>Most writes waiting for the writer; past it a write is answered UNAVAILABLE with a retry
    /// delay instead of queueing without bound. About two seconds of the writer's measured pace.</summary>
    public int MaxQueuedWrites { get; set; } = 10_000;

    /// <summary>RvIG table 33 as CSV; defaults to the copy shipped with the gateway.</summary>
    public string MunicipalityTablePath { get; set; } = Path.Combine(AppContext.BaseDirectory, "data", "gemeententabel.csv");

    /// <summary>How often the municipality table file is looked at for a replacement, and open
    /// arrivals in codes that have closed (by a new table or by a date passing) are moved to the
    /// successor. Also done once at start-up.</summary>
    public TimeSpan MunicipalityTableCheckInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>The organisation registry (OIN to organisation), JSON. Reloaded when it changes.</summary>
    public string? OrganisationRegistryPath { get; set; }

    /// <summary>How often the server certificate, trust anchors, CRLs and organisation registry are
    /// looked at for changes on disk; a change takes effect within this time, without a restart.</summary>
    public TimeSpan FileReloadInterval { get; set; } = TimeSpan.FromSeconds(5);

    public TlsOptions Tls { get; set; } = new();

    public ChainRulesOptions Rules { get; set; } = new();

    public AuditOptions Audit { get; set; } = new();

    public StorageOptions Storage { get; set; } = new();

    public RetentionOptions Retention { get; set; } = new();

    public LimitsOptions Limits { get; set; } = new();

    public ManagementOptions Management { get; set; } = new();

    public Webhooks.WebhookOptions Webhooks { get; set; } = new();

    public Dashboard.DashboardOptions Dashboard { get; set; } = new();

    /// <summary>gRPC server reflection on the gateway port (behind mutual TLS like every call there),
    /// so grpcurl, grpcui and Postman need no <c>.proto</c> files.</summary>
    public bool Reflection { get; set; } = true;
}

/// <summary>The management listener (configuration section <c>Gateway:Management</c>): plain HTTP
/// without a client certificate, for the kubelet's probes and Prometheus; it serves nothing else.</summary>
public sealed class ManagementOptions
{
    /// <summary>Where it listens, separated by ';' (http only); empty turns it off. Loopback by default:
    /// bind it beyond loopback only inside the cluster network, with <see cref="MetricsBearerToken"/> set.</summary>
    public string Urls { get; set; } = "http://127.0.0.1:5444";

    /// <summary>When set, <c>/metrics</c> answers only requests carrying <c>Authorization: Bearer</c>
    /// with this token (per-feed lag says which municipalities are behind). Probes need none.</summary>
    public string? MetricsBearerToken { get; set; }

    /// <summary>How often the per-feed backlog gauges (unacknowledged notices, oldest age) are read from
    /// the database; a scrape reports the last reading (its age computed at the scrape).</summary>
    public TimeSpan FeedGaugeInterval { get; set; } = TimeSpan.FromSeconds(15);
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

/// <summary>The chain's rules (configuration section <c>Gateway:Rules</c>). Days are calendar days in
/// Europe/Amsterdam. Defaults are documented, with their source, in the README.</summary>
public sealed class ChainRulesOptions
{
    /// <summary>Family reunification with the referent: households up to this size travel without
    /// the municipality's consent (the VNG letter: 1-2).</summary>
    public int HouseholdWithoutConsent { get; set; } = 2;

    /// <summary>Households up to this size travel only after the municipality consents (3-4); larger
    /// ones are refused.</summary>
    public int HouseholdWithConsent { get; set; } = 4;

    /// <summary>An announcement fewer than this many days before the expected arrival is flagged late
    /// and escalated (never refused).</summary>
    public int MinimumLeadTimeDays { get; set; } = 14;

    /// <summary>The municipality decides on consent within this many days of the request.</summary>
    public int ConsentDecisionDays { get; set; } = 10;

    /// <summary>Travellers report to the BRP no later than this many days after arrival (Wet BRP art. 2.38).</summary>
    public int RegistrationDays { get; set; } = 5;

    /// <summary>Family-reunification travellers check in at the IND within this many days of arrival.</summary>
    public int CheckInDays { get; set; } = 14;
}

/// <summary>The audit log (configuration section <c>Gateway:Audit</c>).</summary>
public sealed class AuditOptions
{
    /// <summary>File holding the HMAC key (base64, at least 32 bytes) under which data subjects are
    /// stored in the audit log. Keep it outside the database and its backups (a mounted secret).</summary>
    public string? KeyPath { get; set; }
}
