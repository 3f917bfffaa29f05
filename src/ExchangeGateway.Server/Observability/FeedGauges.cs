using System.Diagnostics.Metrics;
using ExchangeGateway.Server.Feed;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ExchangeGateway.Server.Observability;

/// <summary>The per-feed gauges an operator alerts on hours before the acknowledgement deadline
/// escalates: each feed's unacknowledged notices and the age of the oldest, read from the database
/// every <c>Gateway:Management:FeedGaugeInterval</c> (one grouped query, never per scrape or per
/// notice), so with several instances every one reports the same, whole, figures; and the streams
/// open on this instance, read from its feed engines when collected.</summary>
internal sealed partial class FeedGauges : BackgroundService
{
    private readonly GatewayStore _store;
    private readonly TimeProvider _time;
    private readonly TimeSpan _interval;
    private readonly ILogger _logger;
    private volatile IReadOnlyList<Backlog> _backlogs = [];

    public FeedGauges(GatewayMetrics metrics, GatewayStore store, FeedHub hub, TimeProvider time, IOptions<GatewayOptions> options, ILogger<FeedGauges> logger)
    {
        _store = store;
        _time = time;
        _interval = options.Value.Management.FeedGaugeInterval;
        _logger = logger;
        metrics.ObserveFeeds(
            () => _backlogs.Select(b => new Measurement<long>(b.Count, FeedTag(b.Feed))),
            () =>
            {
                var now = _time.GetUtcNow().UtcDateTime;
                return _backlogs.Select(b => new Measurement<double>(Math.Max(0, (now - b.Oldest).TotalSeconds), FeedTag(b.Feed)));
            },
            () => hub.Engines.Select(e => new Measurement<int>(e.StreamCount, FeedTag(e.Feed))));
    }

    /// <summary>Reads every feed's backlog now (also what each tick does).</summary>
    public async Task RefreshAsync(CancellationToken cancellationToken)
    {
        _backlogs = await _store.ReadAsync((db, token) => db.Notices.AsNoTracking()
            .Where(n => n.AcknowledgedAt == null)
            .GroupBy(n => n.FeedId)
            .Select(g => new Backlog(g.Key, g.LongCount(), g.Min(n => n.CreatedAt)))
            .ToListAsync(token), cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (true)
            {
                // A delay per reading, not a PeriodicTimer: a clock moved on by days reads once, it
                // does not catch up on every period it skipped.
                await Task.Delay(_interval, _time, stoppingToken);
                try
                {
                    await RefreshAsync(stoppingToken);
                }
                catch (Exception exception) when (exception is not OperationCanceledException)
                {
                    // The last reading stays; readiness reports storage trouble.
                    LogFailed(_logger, exception.GetType().Name);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private static KeyValuePair<string, object?> FeedTag(string feed) => new("feed", feed);

    private sealed record Backlog(string Feed, long Count, DateTime Oldest);

    [LoggerMessage(EventId = 11001, Level = LogLevel.Warning, Message = "Reading the feed backlog for the metrics failed ({ExceptionType}); the gauges keep the last reading.")]
    private static partial void LogFailed(ILogger logger, string exceptionType);
}
