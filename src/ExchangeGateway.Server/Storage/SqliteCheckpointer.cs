using System.Data.Common;
using System.Threading.Channels;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace ExchangeGateway.Server.Storage;

/// <summary>Copies committed pages from the SQLite log into the database file on a connection of its
/// own, so the single writer never does it. SQLite's automatic checkpoint (switched off on every
/// connection, see <see cref="SqlitePragmas"/>) runs inside the commit that crosses 1,000 log pages:
/// on the writer, with two fsyncs, while every caller of the next batch waits; measured at 64 callers it
/// was most of the writer's commit time.
///
/// A passive checkpoint never blocks the writer, but under continuous writes it alone cannot let the
/// log start over: SQLite rewinds the log only when a write transaction begins with every frame
/// already copied. So when the log has grown past <see cref="GatewayDbContextFactory.SqliteLogRestartPages"/> the writer copies the few
/// pages written since the last background run itself, right after a commit, and its next
/// transaction starts the log at its beginning again; the log stays bounded. Until it has, the background
/// leaves the log to it (two checkpoints cannot run at once: see
/// <see cref="GatewayDbContextFactory.SqliteCheckpoint"/>).</summary>
internal sealed partial class SqliteCheckpointer : IAsyncDisposable
{
    private readonly GatewayDbContextFactory _contexts;
    private readonly ILogger _logger;
    private readonly Channel<bool> _due = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly Task _loop;
    private long _logPages;

    public SqliteCheckpointer(GatewayDbContextFactory contexts, ILogger logger)
    {
        _contexts = contexts;
        _logger = logger;
        _loop = Task.Run(RunAsync);
    }

    /// <summary>Log pages past which the writer finishes a checkpoint itself so the log starts over.</summary>
    private int RestartPages => _contexts.SqliteLogRestartPages;

    /// <summary>Called by the writer after each commit, outside any transaction, on its own connection.</summary>
    public async Task CommittedAsync(DbConnection writer, CancellationToken cancellationToken)
    {
        // The background runs again as soon as it is done while commits keep coming, so what the
        // writer has left to copy itself when the log is long is only what came in meanwhile.
        _due.Writer.TryWrite(true);
        if (Interlocked.Read(ref _logPages) < RestartPages)
        {
            return;
        }
        // The writer never waits for another checkpoint: it tries again after its next commit.
        if (!_contexts.SqliteCheckpoint.Wait(0, CancellationToken.None))
        {
            return;
        }
        try
        {
            var (busy, log, copied) = await SqliteWal.CheckpointAsync(writer, truncate: false, cancellationToken);
            if (!busy && copied == log)
            {
                // Everything is in the database file: the writer's next transaction rewinds the log.
                Interlocked.Exchange(ref _logPages, 0);
            }
        }
        finally
        {
            _contexts.SqliteCheckpoint.Release();
        }
    }

    private async Task RunAsync()
    {
        GatewayDbContext? db = null;
        while (await _due.Reader.WaitToReadAsync())
        {
            _due.Reader.TryRead(out _);
            if (Interlocked.Read(ref _logPages) >= RestartPages)
            {
                continue; // the writer's turn: it finishes the copy after its next commit
            }
            try
            {
                if (db is null)
                {
                    db = _contexts.CreateDbContext();
                    await db.Database.OpenConnectionAsync();
                }
                await _contexts.SqliteCheckpoint.WaitAsync();
                try
                {
                    var (_, log, _) = await SqliteWal.CheckpointAsync(db.Database.GetDbConnection(), truncate: false, CancellationToken.None);
                    Interlocked.Exchange(ref _logPages, log);
                }
                finally
                {
                    _contexts.SqliteCheckpoint.Release();
                }
            }
            catch (Exception exception) when (exception is DbException || StorageResilience.IsUnavailable(exception))
            {
                // The next commit asks again; the log only grows meanwhile, nothing is lost.
                LogCheckpointFailed(_logger, exception);
                if (db is not null)
                {
                    await db.DisposeAsync();
                    db = null;
                }
            }
        }
        if (db is not null)
        {
            await db.DisposeAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        _due.Writer.TryComplete();
        await _loop;
    }

    [LoggerMessage(EventId = 13003, Level = LogLevel.Warning, Message = "A background checkpoint of the SQLite log failed; the next commit tries again.")]
    private static partial void LogCheckpointFailed(ILogger logger, Exception exception);
}
