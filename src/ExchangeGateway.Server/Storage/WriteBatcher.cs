using System.Threading.Channels;
using ExchangeGateway.Server.Audit;
using ExchangeGateway.Server.Errors;
using ExchangeGateway.Server.Feed;
using ExchangeGateway.Server.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.Logging;
using Polly;

namespace ExchangeGateway.Server.Storage;

/// <summary>Group commit: writes that arrive while a transaction is being committed wait and are then
/// committed together, each inside its own savepoint, so that one fsync makes a whole batch durable.
/// A unit of work that fails (a refused request) is rolled back to its savepoint alone; the others in
/// the batch still commit. Every caller's task completes only after the commit that holds its change,
/// so an OK is never given for something not stored.</summary>
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
    private readonly ResiliencePipeline _retry;
    private readonly Channel<WriteItem> _queue = Channel.CreateUnbounded<WriteItem>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _loop;

    public WriteBatcher(GatewayDbContextFactory contexts, FeedHub feeds, AuditKey auditKey, TimeProvider time, ILogger logger, int maxBatch)
    {
        _contexts = contexts;
        _feeds = feeds;
        _auditKey = auditKey;
        _time = time;
        _logger = logger;
        _maxBatch = maxBatch;
        _retry = StorageResilience.CreatePipeline();
        _loop = Task.Run(RunAsync);
    }

    public async Task<T> WriteAsync<T>(Caller caller, Func<WriteContext, Task<T>> work, CancellationToken cancellationToken)
    {
        var item = new WriteItem(caller, async context => await work(context), cancellationToken);
        if (!_queue.Writer.TryWrite(item))
        {
            throw GatewayErrors.Unavailable("The gateway is shutting down; nothing was stored. Retry with the same request_id.");
        }
        return (T)(await item.Completion.Task)!;
    }

    private async Task RunAsync()
    {
        var reader = _queue.Reader;
        var batch = new List<WriteItem>(_maxBatch);
        while (await reader.WaitToReadAsync(CancellationToken.None))
        {
            batch.Clear();
            while (batch.Count < _maxBatch && reader.TryRead(out var item))
            {
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
                await CommitBatchAsync(batch);
            }
        }
    }

    private async Task CommitBatchAsync(List<WriteItem> batch)
    {
        try
        {
            await _retry.ExecuteAsync(async token =>
            {
                var pending = batch.Where(i => !i.Completion.Task.IsCompleted).ToList();
                if (pending.Count == 0)
                {
                    return;
                }
                await using var db = _contexts.CreateDbContext();
                db.Database.AutoSavepointsEnabled = false;
                await using var transaction = await db.Database.BeginTransactionAsync(token);
                var done = new List<(WriteItem Item, WriteContext Context, object? Result)>();
                // A unit alone in its transaction needs no savepoint: if it fails, nothing is committed.
                var savepoints = pending.Count > 1;
                foreach (var item in pending)
                {
                    var context = new WriteContext(db, item.Caller, _time.GetUtcNow().UtcDateTime, _auditKey, _contexts.Statements, token);
                    if (savepoints)
                    {
                        await transaction.CreateSavepointAsync("unit", token);
                    }
                    try
                    {
                        var result = await item.Work(context);
                        if (!context.Abandoned)
                        {
                            await db.SaveChangesAsync(token);
                        }
                        if (savepoints)
                        {
                            await transaction.ReleaseSavepointAsync("unit", token);
                        }
                        // Its rows are written: stop tracking them, or every later unit's SaveChanges
                        // would scan them again (quadratic in the batch size).
                        db.ChangeTracker.Clear();
                        done.Add((item, context, result));
                    }
                    catch (Exception exception) when (!StorageResilience.IsUnavailable(exception))
                    {
                        // This unit alone is refused (or broken): undo it, keep the others.
                        if (savepoints)
                        {
                            await transaction.RollbackToSavepointAsync("unit", token);
                        }
                        db.ChangeTracker.Clear();
                        var writtenElsewhere = StorageResilience.IsUniqueViolation(exception) || exception is DbUpdateConcurrencyException;
                        if (writtenElsewhere && item.Attempts++ < Reruns)
                        {
                            // Another writer got there first: it stored the same key (a request_id) or
                            // changed a row this unit read (another instance on the same arrival). Run
                            // the unit again in the next batch, on what is there now.
                            _queue.Writer.TryWrite(item);
                        }
                        else if (exception is DbUpdateConcurrencyException)
                        {
                            item.Completion.TrySetException(GatewayErrors.Unavailable(
                                "What this call changes kept being changed by other writers; nothing was stored. Retry with the same request_id."));
                        }
                        else
                        {
                            item.Completion.TrySetException(exception);
                        }
                    }
                }
                if (done.Count == 0)
                {
                    return; // nothing to commit; disposing the transaction rolls it back
                }
                var outboxes = done.Select(d => d.Context.Outbox).ToList();
                var committed = await NoticeOutbox.WriteAsync(db.Database.GetDbConnection(), transaction.GetDbTransaction(), _contexts.Statements, outboxes, token);
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
                foreach (var (item, _, result) in done)
                {
                    item.Completion.TrySetResult(result);
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

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _stopping.CancelAsync();
        await _loop;
        _stopping.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "A batch of {Count} writes failed: storage unavailable ({ExceptionType}).")]
    private static partial void LogBatchUnavailable(ILogger logger, int count, string exceptionType, Exception exception);

    private sealed class WriteItem(Caller caller, Func<WriteContext, Task<object?>> work, CancellationToken cancellationToken)
    {
        public Caller Caller { get; } = caller;
        public Func<WriteContext, Task<object?>> Work { get; } = work;
        public CancellationToken CancellationToken { get; } = cancellationToken;
        public TaskCompletionSource<object?> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public int Attempts { get; set; }
    }
}
