using System.Data.Common;
using ExchangeGateway.Server.Feed;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;

namespace ExchangeGateway.Server.Storage;

/// <summary>What a unit of work writes with on the writer: the context (EF Core, for the rare paths),
/// its connection and transaction with the provider's statements (the hot paths), the caller, one
/// "now" and the outbox.</summary>
internal sealed class WriteContext(GatewayDbContext db, Caller caller, DateTime now, NoticeOutbox outbox, StorageStatements statements, bool firstRun,
    CancellationToken cancellationToken)
    : ChangeContext(caller, now, outbox)
{
    public GatewayDbContext Db { get; } = db;

    public CancellationToken CancellationToken { get; } = cancellationToken;

    /// <summary>The provider's statements, run on <see cref="Connection"/> in <see cref="Transaction"/>.</summary>
    public StorageStatements Statements { get; } = statements;

    /// <summary>No run of this unit has yet hit a unique index. A read whose only purpose is to find
    /// what such an index refuses anyway (a request_id already answered, a V-number in another open
    /// arrival) may be left out of a first run: the insert fails, the unit runs again, and that run reads
    /// and gives the reason. The common case then pays no read.</summary>
    public bool FirstRun { get; } = firstRun;

    public DbConnection Connection => Db.Database.GetDbConnection();

    public DbTransaction Transaction => Db.Database.CurrentTransaction!.GetDbTransaction();

    /// <summary>This run of the unit stores nothing: neither what it tracked nor the notices in its
    /// outbox (a repeated request, answered with what was stored the first time). Per run: a rerun of
    /// the unit decides again.</summary>
    public bool Discarded { get; private set; }

    public void Discard() => Discarded = true;
}
