using Microsoft.Data.Sqlite;

namespace ExchangeGateway.Server.Storage;

/// <summary>An online backup of the gateway's SQLite database with <c>VACUUM INTO</c>: one read
/// transaction, so the copy is a consistent snapshot of committed state while the gateway keeps
/// writing (in WAL mode readers never block writers). Unlike copying pages with the backup API it
/// writes only live rows, so free pages (and anything once deleted) are not carried into the copy.</summary>
internal static class SqliteBackup
{
    /// <summary>Writes a copy of the database <paramref name="sourceConnectionString"/> names to
    /// <paramref name="targetPath"/>, which must not exist yet. The copy is written beside the target
    /// under a temporary name, synced to disk, checked with <c>PRAGMA integrity_check</c> and only
    /// then renamed, so the target either is a complete, checked backup or does not exist.</summary>
    public static async Task<BackupResult> CreateAsync(string sourceConnectionString, string targetPath, CancellationToken cancellationToken)
    {
        var source = new SqliteConnectionStringBuilder(sourceConnectionString);
        var sourcePath = Path.GetFullPath(source.DataSource);
        var target = Path.GetFullPath(targetPath);
        if (!File.Exists(sourcePath))
        {
            throw new BackupRefusedException($"There is no database at {sourcePath}.");
        }
        if (File.Exists(target))
        {
            throw new BackupRefusedException($"{target} exists already; a backup never overwrites a file.");
        }
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        var partial = target + ".partial";
        File.Delete(partial); // left by an interrupted backup
        try
        {
            // ReadWrite, not ReadWriteCreate: a mistyped path must fail, not back up a new empty file.
            // Password and other keywords of the configured connection string are kept.
            source.DataSource = sourcePath;
            source.Mode = SqliteOpenMode.ReadWrite;
            source.Pooling = false;
            await using (var connection = new SqliteConnection(source.ToString()))
            {
                await connection.OpenAsync(cancellationToken);
                await ExecuteAsync(connection, "PRAGMA busy_timeout=10000;", cancellationToken);
                await using var vacuum = connection.CreateCommand();
                vacuum.CommandText = "VACUUM INTO $target;";
                vacuum.Parameters.AddWithValue("$target", partial);
                await vacuum.ExecuteNonQueryAsync(cancellationToken);
            }
            // VACUUM INTO does not sync what it wrote; a backup must survive a power cut after "done".
            await using (var written = new FileStream(partial, FileMode.Open, FileAccess.ReadWrite, FileShare.None))
            {
                written.Flush(flushToDisk: true);
            }
            var integrity = await IntegrityCheckAsync(partial, cancellationToken);
            if (integrity != "ok")
            {
                return new BackupResult(sourcePath, partial, new FileInfo(partial).Length, integrity);
            }
            File.Move(partial, target);
            return new BackupResult(sourcePath, target, new FileInfo(target).Length, integrity);
        }
        catch
        {
            File.Delete(partial);
            throw;
        }
    }

    /// <summary>"ok", or what <c>PRAGMA integrity_check</c> found wrong.</summary>
    public static async Task<string> IntegrityCheckAsync(string databasePath, CancellationToken cancellationToken)
    {
        var builder = new SqliteConnectionStringBuilder { DataSource = databasePath, Mode = SqliteOpenMode.ReadOnly, Pooling = false };
        await using var connection = new SqliteConnection(builder.ToString());
        await connection.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA integrity_check;";
        var problems = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            problems.Add(reader.GetString(0));
        }
        return string.Join("; ", problems);
    }

    private static async Task ExecuteAsync(SqliteConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}

/// <summary>Where a backup went and whether it checked out (<see cref="Integrity"/> is "ok").</summary>
internal sealed record BackupResult(string Source, string Target, long Bytes, string Integrity)
{
    public bool Ok => Integrity == "ok";
}

/// <summary>A backup that was not attempted: the source is missing or the target exists.</summary>
internal sealed class BackupRefusedException(string message) : Exception(message);
