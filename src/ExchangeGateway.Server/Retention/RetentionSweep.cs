using ExchangeGateway.Server.Feed;
using Microsoft.EntityFrameworkCore;
using ExchangeGateway.Server.Observability;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ExchangeGateway.Server.Retention;

/// <summary>One pass of data minimisation: forgets answers to repeat that are past their window or
/// past retention, erases closed arrivals and unannounced reports past retention in batches, and on
/// SQLite then checkpoints and truncates the write-ahead log, so the erased values are gone from the
/// files too (every connection runs with <c>secure_delete</c>, which zeroes deleted content).</summary>
internal sealed partial class RetentionSweep : IDisposable
{
    private readonly GatewayStore _store;
    private readonly GatewayDbContextFactory _contexts;
    private readonly TimeProvider _time;
    private readonly RetentionOptions _options;
    private readonly ILogger _logger;
    private readonly GatewayMetrics? _metrics;
    private readonly Caller _gateway;
    private readonly ArrivalErasure _arrivals;
    private readonly UnannouncedReportErasure _reports;

    // One pass at a time in this process (the periodic one and one asked for directly).
    private readonly SemaphoreSlim _gate = new(1, 1);
    // The first pass truncates the log whatever it erases: a previous process may have stopped
    // between an erase and its checkpoint.
    private bool _checkpointPending = true;

    public RetentionSweep(GatewayStore store, FeedHub feeds, GatewayDbContextFactory contexts, TimeProvider time, IOptions<GatewayOptions> options, ILogger<RetentionSweep> logger,
        GatewayMetrics? metrics = null)
    {
        _options = options.Value.Retention;
        if (_options.PersonalDataRetention <= TimeSpan.Zero || _options.SweepInterval <= TimeSpan.Zero || _options.BatchSize < 1)
        {
            throw new InvalidOperationException(
                "Gateway:Retention:PersonalDataRetention and Gateway:Retention:SweepInterval must be positive and Gateway:Retention:BatchSize at least 1.");
        }
        _store = store;
        _contexts = contexts;
        _time = time;
        _logger = logger;
        _metrics = metrics;
        _gateway = Caller.Gateway(options.Value.GatewayOin);
        _arrivals = new ArrivalErasure(store, feeds, _gateway);
        _reports = new UnannouncedReportErasure(store, feeds, _gateway);
    }

    public TimeSpan Interval => _options.SweepInterval;

    public void Dispose() => _gate.Dispose();

    /// <summary>Runs one pass; returns how many arrivals this instance erased.</summary>
    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            var now = _time.GetUtcNow().UtcDateTime;
            var retention = _options.PersonalDataRetention;
            var cutoff = now - retention;
            // Stored answers repeat the arrival as it was (names included). They expire after
            // RequestIdRetention; one older than the retention goes too, whatever its expiry, so a
            // retention shorter than the request-id window still holds.
            var forgotten = await _store.WriteAsync(_gateway, write => write.Db.IdempotencyRecords
                .Where(r => r.ExpiresAt < now || r.CreatedAt < cutoff)
                .ExecuteDeleteAsync(write.CancellationToken), cancellationToken);
            var arrivals = await EraseAllAsync(batch => _arrivals.EraseBatchAsync(cutoff, batch, retention, cancellationToken));
            var reports = await EraseAllAsync(batch => _reports.EraseBatchAsync(cutoff, batch, cancellationToken));
            var erasedAnything = arrivals.Erased + reports.Erased + forgotten > 0;
            Count("arrival", arrivals.Erased);
            Count("unannounced_report", reports.Erased);
            Count("stored_answer", forgotten);
            if (erasedAnything)
            {
                LogErased(_logger, arrivals.Erased, reports.Erased, forgotten);
            }
            if (arrivals.UnacknowledgedNotices + reports.UnacknowledgedNotices > 0)
            {
                LogUnacknowledgedRedacted(_logger, arrivals.UnacknowledgedNotices + reports.UnacknowledgedNotices);
            }
            if (erasedAnything || _checkpointPending)
            {
                _checkpointPending = !await SqliteWal.CheckpointAndTruncateAsync(_contexts, cancellationToken);
                if (_checkpointPending)
                {
                    LogCheckpointIncomplete(_logger);
                }
            }
            return arrivals.Erased;
        }
        finally
        {
            _gate.Release();
        }
    }

    private void Count(string what, int erased)
    {
        if (erased > 0)
        {
            _metrics?.RetentionErased.Add(erased, new KeyValuePair<string, object?>("what", what));
        }
    }

    private async Task<BatchOutcome> EraseAllAsync(Func<int, Task<BatchOutcome>> eraseBatch)
    {
        var total = new BatchOutcome(0, 0, 0);
        while (true)
        {
            var batch = await eraseBatch(_options.BatchSize);
            total = new BatchOutcome(total.Due + batch.Due, total.Erased + batch.Erased, total.UnacknowledgedNotices + batch.UnacknowledgedNotices);
            // A short batch was the last; a batch of which nothing could be claimed would come back
            // the same, so it ends the pass too (the next pass sees it afresh).
            if (batch.Due < _options.BatchSize || batch.Erased == 0)
            {
                return total;
            }
        }
    }

    [LoggerMessage(EventId = 12001, Level = LogLevel.Information, Message = "Retention: erased the personal data of {Arrivals} arrival(s) and {Reports} unannounced report(s); forgot {Requests} stored answer(s).")]
    private static partial void LogErased(ILogger logger, int arrivals, int reports, int requests);

    [LoggerMessage(EventId = 12002, Level = LogLevel.Warning, Message = "Retention: {Count} redacted notice(s) had never been acknowledged by their recipient; that feed may no longer be read.")]
    private static partial void LogUnacknowledgedRedacted(ILogger logger, int count);

    [LoggerMessage(EventId = 12003, Level = LogLevel.Warning, Message = "Retention: the SQLite write-ahead log could not be truncated (a reader held it); erased values may remain in the -wal file until the next pass.")]
    private static partial void LogCheckpointIncomplete(ILogger logger);
}
