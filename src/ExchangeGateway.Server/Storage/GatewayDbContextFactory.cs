using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;

namespace ExchangeGateway.Server.Storage;

/// <summary>Creates a context for the configured provider. Contexts are short-lived: one per unit of work.</summary>
internal sealed class GatewayDbContextFactory
{
    private readonly Func<GatewayDbContext> _create;

    public GatewayDbContextFactory(StorageOptions storage)
    {
        Provider = storage.Provider;
        switch (storage.Provider)
        {
            case StorageProvider.Sqlite:
                var sqlite = SqliteGatewayDbContext.CreateOptions(storage);
                _create = () => new SqliteGatewayDbContext(sqlite);
                break;
            case StorageProvider.SqlServer:
                var sqlServer = SqlServerGatewayDbContext.CreateOptions(storage);
                _create = () => new SqlServerGatewayDbContext(sqlServer);
                break;
            case StorageProvider.PostgreSql:
                var postgres = PostgresGatewayDbContext.CreateOptions(storage);
                _create = () => new PostgresGatewayDbContext(postgres);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(storage), storage.Provider, "Unknown storage provider.");
        }
        ConnectionString = storage.ConnectionString;
        FeedPollInterval = storage.FeedPollInterval;
        SqliteLogRestartPages = storage.SqliteLogRestartPages;
        Statements = StorageStatements.For(storage.Provider);
    }

    /// <summary>The provider's set-based statements of the write path.</summary>
    public StorageStatements Statements { get; }

    /// <summary>Several instances can share this database: commits of the others must be looked for.</summary>
    public bool IsShared => Provider != StorageProvider.Sqlite;

    public TimeSpan FeedPollInterval { get; }

    public int SqliteLogRestartPages { get; }

    /// <summary>One checkpoint of the SQLite log at a time from this process: SQLite answers a second
    /// one that starts while another runs with SQLITE_BUSY at once, without waiting (so the retention
    /// sweep's truncating checkpoint would fail whenever the background one is running).</summary>
    public SemaphoreSlim SqliteCheckpoint { get; } = new(1, 1);

    /// <summary>Held by the single writer while it commits a batch, and by a truncating checkpoint of the
    /// SQLite log for its whole run. Such a checkpoint needs SQLite's write lock, which SQLite's busy
    /// handler only polls for (sleeping between tries) while the writer takes it again microseconds
    /// after each commit: under continuous writes it lost for the whole busy timeout (seen in CI). Taking
    /// turns here, the checkpoint runs between two batches.</summary>
    public SemaphoreSlim WriterTurn { get; } = new(1, 1);

    public StorageProvider Provider { get; }

    public string ConnectionString { get; }

    public GatewayDbContext CreateDbContext() => _create();

    /// <summary>Builds EF Core's model on a pool thread (most of a second: there is no compiled model),
    /// so it runs beside the host's construction instead of in front of the migration. EF keeps the
    /// model per provider configuration, so every context created later finds it built.</summary>
    public Task WarmUpModelAsync() => Task.Run(() =>
    {
        using var db = CreateDbContext();
        _ = db.Model;
    });

    /// <summary>Creates or migrates the schema when it is not current. On SQLite it also switches the file to WAL mode,
    /// which is a property of the file and so is set once, not per connection.</summary>
    public async Task MigrateAsync(CancellationToken cancellationToken)
    {
        await using var db = CreateDbContext();
        if (Provider == StorageProvider.Sqlite)
        {
            var dataSource = new SqliteConnectionStringBuilder(ConnectionString).DataSource;
            var directory = Path.GetDirectoryName(Path.GetFullPath(dataSource));
            if (!string.IsNullOrEmpty(directory))
            {
                Directory.CreateDirectory(directory);
            }
            await db.Database.OpenConnectionAsync(cancellationToken);
            await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", cancellationToken);
        }
        // Migrating takes the migrations lock and writes (an fsync) even when there is nothing to do;
        // a gateway restarting on a current schema only reads the history.
        if ((await db.Database.GetPendingMigrationsAsync(cancellationToken)).Any())
        {
            await db.Database.MigrateAsync(cancellationToken);
        }
    }
}
