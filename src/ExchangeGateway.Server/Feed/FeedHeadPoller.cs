using ExchangeGateway.Server.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ExchangeGateway.Server.Feed;

/// <summary>On a database shared by several gateway instances, looks at the heads and revisions of the
/// feeds this instance has engines for every <see cref="StorageOptions.FeedPollInterval"/>: a head
/// another instance moved wakes the engine, a revision it raised (an acknowledgement through an
/// instance that does not deliver the feed, or a redaction) makes the engine read its unacknowledged
/// notices again. SQL Server has no notification the gateway relies on, so there this is how those
/// changes arrive; on PostgreSQL it backs up LISTEN/NOTIFY. One small indexed read per interval,
/// whatever the number of subscribers.</summary>
internal sealed partial class FeedHeadPoller(GatewayDbContextFactory contexts, FeedHub hub, ILogger<FeedHeadPoller> logger) : BackgroundService
{
    private readonly Dictionary<string, long> _revisions = new(StringComparer.Ordinal);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!contexts.IsShared || contexts.FeedPollInterval <= TimeSpan.Zero)
        {
            return;
        }
        // Wall-clock polling: this is about other processes, not the business clock.
        using var timer = new PeriodicTimer(contexts.FeedPollInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    await PollAsync(stoppingToken);
                }
                catch (Exception exception) when (exception is not OperationCanceledException)
                {
                    LogPollFailed(logger, exception);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Shutting down.
        }
    }

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

    [LoggerMessage(Level = LogLevel.Warning, Message = "Polling feed heads failed; will retry.")]
    private static partial void LogPollFailed(ILogger logger, Exception exception);
}
