using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace ExchangeGateway.Server.Feed;

/// <summary>On a database shared by several gateway instances, looks at the heads and revisions of the
/// feeds this instance has engines for every <see cref="StorageOptions.FeedPollInterval"/>: a head
/// another instance moved wakes the engine, a revision it raised (an acknowledgement through an
/// instance that does not deliver the feed, or a redaction) makes the engine read its unacknowledged
/// notices again. SQL Server has no notification the gateway relies on, so there this is how those
/// changes arrive; on PostgreSQL it backs up LISTEN/NOTIFY. One small indexed read per interval,
/// whatever the number of subscribers.</summary>
internal sealed class FeedHeadPoller(GatewayDbContextFactory contexts, FeedHub hub, ILogger<FeedHeadPoller> logger)
    // Wall-clock polling: this is about other processes, not the business clock.
    : PeriodicJob(TimeProvider.System, logger)
{
    private readonly Dictionary<string, long> _revisions = new(StringComparer.Ordinal);

    protected override TimeSpan Interval => contexts.FeedPollInterval;

    protected override bool Enabled => contexts.IsShared && contexts.FeedPollInterval > TimeSpan.Zero;

    protected override bool RunsAtStart => false;

    protected override Task RunOnceAsync(CancellationToken cancellationToken) => PollAsync(cancellationToken);

    private async Task PollAsync(CancellationToken cancellationToken)
    {
        var engines = hub.Engines.ToDictionary(e => e.Feed, StringComparer.Ordinal);
        if (engines.Count == 0)
        {
            return;
        }
        var feeds = engines.Keys.ToList();
        await using var db = contexts.CreateDbContext();
        var rows = await db.Feeds.AsNoTracking().Where(f => feeds.Contains(f.Id)).Select(f => new { f.Id, f.HeadSequence, f.Revision }).ToListAsync(cancellationToken);
        foreach (var row in rows)
        {
            var engine = engines[row.Id];
            engine.HeadMoved(row.HeadSequence);
            if (_revisions.TryGetValue(row.Id, out var known) && known != row.Revision)
            {
                _ = engine.ResyncAsync(cancellationToken);
            }
            _revisions[row.Id] = row.Revision;
        }
    }
}
