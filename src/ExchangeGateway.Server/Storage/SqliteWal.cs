using Microsoft.EntityFrameworkCore;

namespace ExchangeGateway.Server.Storage;

/// <summary>The SQLite write-ahead log. Committed pages sit in the -wal file until a checkpoint copies
/// them into the database, and the log file is reused, not shrunk, so page images from before an
/// erase (personal data included) stay in it until it is truncated.</summary>
internal static class SqliteWal
{
    /// <summary>Copies every committed page into the database file and truncates the log to zero
    /// bytes. Waits up to the busy timeout for readers and writers; returns false when it could not
    /// finish (a long reader), so the caller can try again later.</summary>
    public static async Task<bool> CheckpointAndTruncateAsync(GatewayDbContextFactory contexts, CancellationToken cancellationToken)
    {
        if (contexts.Provider != StorageProvider.Sqlite)
        {
            return true;
        }
        await contexts.SqliteCheckpoint.WaitAsync(cancellationToken);
        try
        {
            await using var db = contexts.CreateDbContext();
            await db.Database.OpenConnectionAsync(cancellationToken);
            await using var command = db.Database.GetDbConnection().CreateCommand();
            command.CommandText = "PRAGMA wal_checkpoint(TRUNCATE);";
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            // One row: busy (1 when the checkpoint could not complete), log frames, frames checkpointed.
            return await reader.ReadAsync(cancellationToken) && reader.GetInt64(0) == 0;
        }
        finally
        {
            contexts.SqliteCheckpoint.Release();
        }
    }
}
