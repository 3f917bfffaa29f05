using System.Data.Common;
using System.Diagnostics;
using System.Threading.Channels;
using ExchangeGateway.Server.Audit;
using ExchangeGateway.Server.Feed;
using ExchangeGateway.Server.Observability;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.Logging;
using Polly;

namespace ExchangeGateway.Server.Storage;

/// <summary>The single writer. Units of work that arrive while a transaction is being committed wait
/// and are then committed together (group commit), so one fsync makes a whole batch durable. Every
/// caller's task completes only after the commit that holds its change, so an OK is never given for
/// something not stored.
///
/// The writer only applies: callers prepare their change on their own thread (see
/// <c>GatewayStore.ExecuteAsync</c>), and the writer runs on one long-lived connection whose statements
/// stay prepared. A batch runs without savepoints; when a unit fails (a refused request, a key another
/// writer took first) the transaction is rolled back, that unit is settled on its own, and the others
/// run again, then each in a savepoint, so one refusal costs the batch one more pass, not its
/// commit.</summary>
internal sealed partial class WriteBatcher : IAsyncDisposable
{
    // How often a unit is run again because another writer got there first, before the caller is told to retry.
    private const int Reruns = 5;

    private readonly GatewayDbContextFactory _contexts;
    private readonly FeedHub _feeds;
    private readonly AuditKey _auditKey;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly int _maxBatch;
    private readonly int _maxQueued;
    private readonly ResiliencePipeline _retry;
    private readonly Channel<WriteItem> _queue = Channel.CreateUnbounded<WriteItem>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _loop;
    private readonly SqliteCheckpointer? _checkpointer;
    private int _queued;

    // The writer's own context and connection, kept open; replaced after storage trouble.
    private GatewayDbContext? _db;

    private readonly GatewayMetrics? _metrics;

    public WriteBatcher(GatewayDbContextFactory contexts, FeedHub feeds, AuditKey auditKey, TimeProvider time, ILogger logger, int maxBatch, int maxQueued,
        GatewayMetrics? metrics = null)
    {
        _metrics = metrics;
        _lastBatchEnded = time.GetTimestamp();
        metrics?.ObserveWriteQueue(() => Volatile.Read(ref _queued));
        _contexts = contexts;
        _feeds = feeds;
        _auditKey = auditKey;
        _time = time;
        _logger = logger;
        _maxBatch = maxBatch;
        _maxQueued = maxQueued;
        _retry = StorageResilience.CreatePipeline();
        _checkpointer = contexts.Provider == StorageProvider.Sqlite ? new SqliteCheckpointer(contexts, logger) : null;
        _loop = Task.Run(RunAsync);
    }

    /// <summary>Runs <paramref name="work"/> on the writer. Its notices go into <paramref name="outbox"/>
    /// when the caller built them beforehand, else into a fresh one of the unit's own.</summary>
    public async Task<T> WriteAsync<T>(Caller caller, Func<WriteContext, Task<T>> work, CancellationToken cancellationToken, NoticeOutbox? outbox = null)
    {
        if (Interlocked.Increment(ref _queued) > _maxQueued)
        {
            Interlocked.Decrement(ref _queued);
            throw GatewayErrors.Unavailable(
                $"The gateway has {_maxQueued} writes waiting to be stored; nothing was stored. Retry with the same request_id after the delay given.", "WRITE_QUEUE_FULL");
        }
        var item = new WriteItem(caller, async context => await work(context), outbox, cancellationToken);
        if (!_queue.Writer.TryWrite(item))
        {
            Interlocked.Decrement(ref _queued);
            throw ShuttingDown();
        }
        return (T)(await item.Completion.Task)!;
    }

    /// <summary>Units of work waiting for the writer.</summary>
    public int Queued => Volatile.Read(ref _queued);

    /// <summary>How long ago the writer last woke for work (it does as soon as writes arrive, before
    /// each batch). For readiness: with writes waiting, a growing value means the batch in hand is stuck.</summary>
    public TimeSpan SinceProgress => _time.GetElapsedTime(Volatile.Read(ref _lastBatchEnded));

    private long _lastBatchEnded;

    private void CountNotices(List<CommittedNotice> committed)
    {
        if (_metrics is null)
        {
            return;
        }
        foreach (var notice in committed)
        {
            _metrics.NoticesCommitted.Add(1, GatewayMetrics.FeedKindTag(notice.Feed), new KeyValuePair<string, object?>("notice.type", notice.Type));
            // Chain coordination is told of every escalation and every resolution, once.
            if (notice.EscalationKind is { } kind && notice.Feed == FeedNames.Chain)
            {
                var counter = notice.Type == NoticeTypes.Escalation ? _metrics.EscalationsRaised : _metrics.EscalationsResolved;
                counter.Add(1, new KeyValuePair<string, object?>("kind", GatewayMetrics.EscalationKindName(kind)));
            }
        }
    }

    private static Grpc.Core.RpcException ShuttingDown() =>
        GatewayErrors.Unavailable("The gateway is shutting down; nothing was stored. Retry with the same request_id.");

    private static IEnumerable<ActivityLink> Links(List<WriteItem> batch) =>
        [.. batch.Where(i => i.Trace != default).Select(i => new ActivityLink(i.Trace))];

    private async Task RunAsync()
    {
        // Started from whatever call first needed the store: its span must not become the parent of
        // every batch for the life of the process.
        Activity.Current = null;
        var reader = _queue.Reader;
        var batch = new List<WriteItem>(_maxBatch);
        while (await reader.WaitToReadAsync(CancellationToken.None))
        {
            Volatile.Write(ref _lastBatchEnded, _time.GetTimestamp());
            batch.Clear();
            while (batch.Count < _maxBatch && reader.TryRead(out var item))
            {
                Interlocked.Decrement(ref _queued);
                if (item.CancellationToken.IsCancellationRequested)
                {
                    item.Completion.TrySetCanceled(item.CancellationToken);
                }
                else
                {
                    batch.Add(item);
                }
            }
            if (batch.Count > 0)
            {
                var started = Stopwatch.GetTimestamp();
                // A batch serves many calls: its span is a root of its own, linked to the span of
                // each call it commits (the OpenTelemetry way for batching), not a child of one.
                using (var activity = GatewayMetrics.Activities.HasListeners()
                    ? GatewayMetrics.Activities.StartActivity("commit batch", ActivityKind.Internal, default(ActivityContext), links: Links(batch))
                    : null)
                {
                    activity?.SetTag("exgw.batch.size", batch.Count);
                    await _contexts.WriterTurn.WaitAsync(CancellationToken.None);
                    try
                    {
                        await CommitBatchAsync(batch);
                    }
                    finally
                    {
                        _contexts.WriterTurn.Release();
                    }
                }
                _metrics?.BatchSize.Record(batch.Count);
                _metrics?.BatchDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds);
                await CheckpointAsync();
            }

        }
        if (_db is not null)
        {
            await _db.DisposeAsync();
        }
    }

    private async Task CommitBatchAsync(List<WriteItem> batch)
    {
        try
        {
            await _retry.ExecuteAsync(async token =>
            {
                var savepoints = false;
                while (!await TryCommitAsync(batch, savepoints, token))
                {
                    // A unit failed and was settled alone; the rest run again, each in a savepoint.
                    savepoints = true;
                }
            }, _stopping.Token);
        }
        catch (Exception exception)
        {
            if (StorageResilience.IsUnavailable(exception))
            {
                LogBatchUnavailable(_logger, batch.Count, exception.GetType().Name, exception);
            }
            foreach (var item in batch)
            {
                item.Completion.TrySetException(exception);
            }
        }
    }

    /// <summary>On SQLite, after a batch: hands the log's checkpoint to the background, or finishes it
    /// here when the log is long (see <see cref="SqliteCheckpointer"/>). Its callers have their answers.</summary>
    private async Task CheckpointAsync()
    {
        if (_checkpointer is null || _db is null)
        {
            return;
        }
        try
        {
            await _checkpointer.CommittedAsync(_db.Database.GetDbConnection(), _stopping.Token);
        }
        catch (Exception exception) when (exception is DbException or OperationCanceledException || StorageResilience.IsUnavailable(exception))
        {
            // Committed is committed; the log is copied after a later batch. Any database error here is
            // caught: one escaping would end the writer's loop.
            LogCheckpointFailed(_logger, exception);
        }
    }

    /// <summary>Runs the batch's pending units in one transaction and commits it; false when a unit
    /// failed without a savepoint to undo it alone (the transaction was rolled back).</summary>
    private async Task<bool> TryCommitAsync(List<WriteItem> batch, bool savepoints, CancellationToken token)
    {
        var pending = batch.Where(i => !i.Completion.Task.IsCompleted).ToList();
        if (pending.Count == 0)
        {
            return true;
        }
        var db = await OpenAsync(token);
        await using var transaction = await db.Database.BeginTransactionAsync(token);
        try
        {
            var done = new List<(WriteItem Item, WriteContext Context, object? Result)>(pending.Count);
            var now = _time.GetUtcNow().UtcDateTime;
            foreach (var item in pending)
            {
                var outbox = item.Outbox ?? new NoticeOutbox(item.Caller.Source, now, _auditKey);
                var context = new WriteContext(db, item.Caller, now, outbox, _contexts.Statements, firstRun: item.Attempts == 0, token);
                if (savepoints)
                {
                    await transaction.CreateSavepointAsync("unit", token);
                }
                try
                {
                    var result = await item.Work(context);
                    if (!context.Discarded && db.ChangeTracker.HasChanges())
                    {
                        await db.SaveChangesAsync(token);
                    }
                    if (savepoints)
                    {
                        await transaction.ReleaseSavepointAsync("unit", token);
                    }
                    done.Add((item, context, result));
                }
                catch (Exception exception) when (!StorageResilience.IsUnavailable(exception))
                {
                    Settle(item, exception, requeue: savepoints);
                    if (!savepoints)
                    {
                        return false;
                    }
                    await transaction.RollbackToSavepointAsync("unit", token);
                }
                finally
                {
                    // Its rows are written or undone: stop tracking them, or every later unit's
                    // SaveChanges would scan them again (quadratic in the batch size).
                    db.ChangeTracker.Clear();
                }
            }
            if (done.Count == 0)
            {
                return true; // nothing to commit; disposing the transaction rolls it back
            }
            var committed = await NoticeOutbox.WriteAsync(db.Database.GetDbConnection(), transaction.GetDbTransaction(), _contexts.Statements,
                [.. done.Where(d => !d.Context.Discarded).Select(d => d.Context.Outbox)], token);
            if (committed.Count > 0)
            {
                var heads = committed.GroupBy(n => n.Feed).Select(g => FeedSignal.Committed(g.Key, g.Max(n => n.Sequence)));
                await _contexts.Statements.SignalAsync(db.Database.GetDbConnection(), transaction.GetDbTransaction(), [.. heads], token);
            }
            // Once the commit is sent it is finished whoever is waiting: a retry with the same
            // request_id then finds the stored answer.
            await transaction.CommitAsync(CancellationToken.None);
            // The feeds first: a caller that reads its feed right after its OK finds its notices.
            _feeds.Committed(committed);
            CountNotices(committed);
            foreach (var (item, _, result) in done)
            {
                item.Completion.TrySetResult(result);
            }
            return true;
        }
        catch (Exception exception) when (StorageResilience.IsUnavailable(exception))
        {
            // The connection may be broken: the next attempt opens a new one.
            await ResetAsync();
            throw;
        }
    }

    /// <summary>A unit failed: it runs again when another writer got there first, else its caller gets
    /// the failure. Failing in the first pass it stays pending, so the savepoint pass of the same batch
    /// runs it again; failing there it waits for a later batch.</summary>
    private void Settle(WriteItem item, Exception exception, bool requeue)
    {
        if (!StorageResilience.IsUniqueViolation(exception) && exception is not DbUpdateConcurrencyException)
        {
            item.Completion.TrySetException(exception);
            return;
        }
        // Another writer stored the same key (a request_id) or changed a row this unit read (another
        // instance on the same arrival): run the unit again on what is there then.
        if (item.Attempts++ >= Reruns)
        {
            item.Completion.TrySetException(GatewayErrors.Unavailable(
                "What this call changes kept being changed by other writers; nothing was stored. Retry with the same request_id.", "WRITE_CONFLICT"));
            return;
        }
        if (!requeue)
        {
            return;
        }
        // If the gateway is stopping the queue takes no more, and the caller is told.
        Interlocked.Increment(ref _queued);
        if (!_queue.Writer.TryWrite(item))
        {
            Interlocked.Decrement(ref _queued);
            item.Completion.TrySetException(ShuttingDown());
        }
    }

    private async Task<GatewayDbContext> OpenAsync(CancellationToken cancellationToken)
    {
        if (_db is null)
        {
            var db = _contexts.CreateDbContext();
            db.Database.AutoSavepointsEnabled = false;
            try
            {
                await db.Database.OpenConnectionAsync(cancellationToken);
                await _contexts.Statements.OpenWriterAsync(db.Database.GetDbConnection(), cancellationToken);
            }
            catch
            {
                await db.DisposeAsync();
                throw;
            }
            _db = db;
        }
        return _db;
    }

    private async Task ResetAsync()
    {
        if (_db is { } db)
        {
            _db = null;
            try
            {
                await db.DisposeAsync();
            }
            catch (Exception exception) when (StorageResilience.IsUnavailable(exception))
            {
                // Closing a broken connection may fail too; it is dropped either way.
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _stopping.CancelAsync();
        await _loop;
        if (_checkpointer is not null)
        {
            await _checkpointer.DisposeAsync();
        }
        _stopping.Dispose();
    }

    [LoggerMessage(EventId = 13004, Level = LogLevel.Information, Message = "The writer's checkpoint of the SQLite log did not run; a later batch tries again.")]
    private static partial void LogCheckpointFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 13005, Level = LogLevel.Warning, Message = "A batch of {Count} writes failed: storage unavailable ({ExceptionType}).")]
    private static partial void LogBatchUnavailable(ILogger logger, int count, string exceptionType, Exception exception);

    private sealed class WriteItem(Caller caller, Func<WriteContext, Task<object?>> work, NoticeOutbox? outbox, CancellationToken cancellationToken)
    {
        public Caller Caller { get; } = caller;
        public Func<WriteContext, Task<object?>> Work { get; } = work;
        public NoticeOutbox? Outbox { get; } = outbox;
        public CancellationToken CancellationToken { get; } = cancellationToken;
        public TaskCompletionSource<object?> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public int Attempts { get; set; }

        /// <summary>The span of the call that queued this unit, for the batch span's links.</summary>
        public ActivityContext Trace { get; } = Activity.Current?.Context ?? default;
    }
}
