using System.Data.Common;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace ExchangeGateway.Server.Storage;

/// <summary>The schema on SQLite; migrations in <c>Storage/Sqlite/Migrations</c>.</summary>
internal sealed class SqliteGatewayDbContext(DbContextOptions<SqliteGatewayDbContext> options) : GatewayDbContext(options)
{
    protected override string UnacknowledgedFilter => "\"AcknowledgedAt\" IS NULL";

    protected override string AwaitingEscalationFilter => "\"AcknowledgedAt\" IS NULL AND \"EscalatedAt\" IS NULL";

    public static DbContextOptions<SqliteGatewayDbContext> CreateOptions(StorageOptions storage) =>
        new DbContextOptionsBuilder<SqliteGatewayDbContext>()
            .UseSqlite(BoundedByBusyTimeout(storage), sqlite => sqlite.MigrationsHistoryTable("__MigrationsHistory"))
            .AddInterceptors(new SqlitePragmas(storage.SqliteBusyTimeoutMilliseconds))
            .Options;

    /// <summary>Microsoft.Data.Sqlite retries a busy statement itself until the connection's default
    /// timeout (30 s unless set), on top of SQLite's own busy timeout: a locked database held each
    /// statement of the writer 30 s, so a caller waited minutes for its UNAVAILABLE, whatever
    /// <see cref="StorageOptions.SqliteBusyTimeoutMilliseconds"/> said. Its timeout is whole seconds:
    /// the busy timeout rounded up, at least one.</summary>
    private static string BoundedByBusyTimeout(StorageOptions storage) =>
        new SqliteConnectionStringBuilder(storage.ConnectionString)
        {
            DefaultTimeout = Math.Max(1, (storage.SqliteBusyTimeoutMilliseconds + 999) / 1000),
        }.ToString();
}

/// <summary>Sets the per-connection pragmas that make an OK durable: synchronous=FULL in WAL mode
/// syncs the log on every commit, so a committed transaction survives power loss. secure_delete=ON
/// zeroes deleted and overwritten content instead of leaving it in free space, so personal data that
/// retention erases does not linger in the file (the retention sweep then truncates the log too).
/// wal_autocheckpoint=0: no connection copies the log into the database inside its own commit; the
/// <see cref="SqliteCheckpointer"/> does that off the writer.</summary>
internal sealed class SqlitePragmas(int busyTimeoutMilliseconds) : DbConnectionInterceptor
{
    private readonly string _pragmas =
        $"PRAGMA synchronous=FULL; PRAGMA busy_timeout={busyTimeoutMilliseconds}; PRAGMA foreign_keys=ON; PRAGMA secure_delete=ON; PRAGMA wal_autocheckpoint=0;";

    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData) => Apply(connection);

    public override Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        Apply(connection);
        return Task.CompletedTask;
    }

    private void Apply(DbConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = _pragmas;
        command.ExecuteNonQuery();
    }
}

/// <summary>Lets <c>dotnet ef migrations add --context SqliteGatewayDbContext</c> build the model.</summary>
internal sealed class SqliteDesignTimeFactory : IDesignTimeDbContextFactory<SqliteGatewayDbContext>
{
    public SqliteGatewayDbContext CreateDbContext(string[] args) =>
        new(SqliteGatewayDbContext.CreateOptions(new StorageOptions { ConnectionString = "Data Source=design-time.db" }));
}
