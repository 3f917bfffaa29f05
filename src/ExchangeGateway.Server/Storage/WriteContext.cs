using ExchangeGateway.Server.Audit;
using ExchangeGateway.Server.Feed;
using ExchangeGateway.Server.Identity;
using Google.Protobuf.WellKnownTypes;

namespace ExchangeGateway.Server.Storage;

/// <summary>What a unit of work writes with: the context, the caller, one "now" for every row it
/// writes, and the outbox for the notices it causes.</summary>
internal sealed class WriteContext(GatewayDbContext db, Caller caller, DateTime now, AuditKey auditKey, StorageStatements statements, CancellationToken cancellationToken)
{
    public GatewayDbContext Db { get; } = db;

    public Caller Caller { get; } = caller;

    /// <summary>The time of this unit of work, UTC.</summary>
    public DateTime Now { get; } = now;

    public Timestamp NowTimestamp => Timestamp.FromDateTime(Now);

    public CancellationToken CancellationToken { get; } = cancellationToken;

    public NoticeOutbox Outbox { get; } = new(caller.Source, now, auditKey);

    /// <summary>The provider's set-based statements, for units that write many rows at once.</summary>
    public StorageStatements Statements { get; } = statements;

    /// <summary>Set when the work turned out to change nothing (a repeated request).</summary>
    public bool Abandoned { get; private set; }

    public void Abandon() => Abandoned = true;
}
