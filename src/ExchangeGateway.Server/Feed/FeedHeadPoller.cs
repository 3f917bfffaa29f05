using ExchangeGateway.Server.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ExchangeGateway.Server.Feed;

/// <summary>On a database shared by several gateway instances, looks at the heads of the feeds this
/// instance delivers every <see cref="StorageOptions.FeedPollInterval"/> and wakes the dispatchers of
/// feeds that another instance has written to. SQL Server has no notification the gateway relies on,
/// so there this is how a notice committed elsewhere reaches local subscribers; on PostgreSQL it backs
/// up LISTEN/NOTIFY. One small indexed read per interval, whatever the number of subscribers.</summary>
internal sealed partial class FeedHeadPoller(GatewayDbContextFactory contexts, FeedHub hub, ILogger<FeedHeadPoller> logger) : BackgroundService
{
    private readonly Dictionary<string, long> _heads = new(StringComparer.Ordinal);

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
        var feeds = hub.ActiveFeeds.ToList();
        if (feeds.Count == 0)
        {
            return;
        }
        await using var db = contexts.CreateDbContext();
        var heads = await db.Feeds.AsNoTracking().Where(f => feeds.Contains(f.Id)).Select(f => new { f.Id, f.HeadSequence }).ToListAsync(cancellationToken);
        var moved = new List<string>();
        foreach (var head in heads)
        {
            if (!_heads.TryGetValue(head.Id, out var known) || known != head.HeadSequence)
            {
                _heads[head.Id] = head.HeadSequence;
                moved.Add(head.Id);
            }
        }
        hub.NotifyCommitted(moved);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Polling feed heads failed; will retry.")]
    private static partial void LogPollFailed(ILogger logger, Exception exception);
}
