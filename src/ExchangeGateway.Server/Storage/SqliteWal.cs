using System.Data.Common;
using Microsoft.EntityFrameworkCore;

namespace ExchangeGateway.Server.Storage;

/// <summary>The SQLite write-ahead log. Committed pages sit in the -wal file until a checkpoint copies
/// them into the database, and the log file is reused, not shrunk, so page images from before an
/// erase (personal data included) stay in it until it is truncated.</summary>
internal static class SqliteWal
{
    /// <summary>Copies every committed page into the database file and truncates the log to zero
    /// bytes. Waits for the writer to finish its batch and up to the busy timeout for readers; returns false when it could not
    /// finish (a long reader), so the caller can try again later.</summary>
    public static async Task<bool> CheckpointAndTruncateAsync(GatewayDbContextFactory contexts, CancellationToken cancellationToken)
    {
        if (contexts.Provider != StorageProvider.Sqlite)
        {
            return true;
        }
        await using var db = contexts.CreateDbContext();
        await db.Database.OpenConnectionAsync(cancellationToken);
        await contexts.SqliteCheckpoint.WaitAsync(cancellationToken);
        try
        {
            // Between two of the writer's batches: see GatewayDbContextFactory.WriterTurn.
            await contexts.WriterTurn.WaitAsync(cancellationToken);
            try
            {
                return !(await CheckpointAsync(db.Database.GetDbConnection(), truncate: true, cancellationToken)).Busy;
            }
            finally
            {
                contexts.WriterTurn.Release();
            }
        }
        finally
        {
            contexts.SqliteCheckpoint.Release();
        }
    }

    /// <summary>One checkpoint on <paramref name="connection"/>: passive (copies what no reader still
    /// needs, waits for nobody) or truncating (waits up to the busy timeout, then empties the log). The
    /// first statement opens the log on a connection that has not read yet (else the pragma does nothing).</summary>
    public static async Task<(bool Busy, long LogPages, long CopiedPages)> CheckpointAsync(DbConnection connection, bool truncate, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = truncate
            ? "SELECT 1 FROM sqlite_master LIMIT 1; PRAGMA wal_checkpoint(TRUNCATE);"
            : "SELECT 1 FROM sqlite_master LIMIT 1; PRAGMA wal_checkpoint(PASSIVE);";
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.NextResultAsync(cancellationToken);
        // One row: busy (1 when the checkpoint could not complete), pages in the log, pages copied.
        return await reader.ReadAsync(cancellationToken)
            ? (reader.GetInt64(0) != 0, reader.GetInt64(1), reader.GetInt64(2))
            : (true, 0, 0);
    }
}
