namespace ExchangeGateway.Server.Storage;

/// <summary>Which database the gateway keeps its state in (configuration section <c>Gateway:Storage</c>).</summary>
public sealed class StorageOptions
{
    /// <summary><c>Sqlite</c> (the embedded default), <c>SqlServer</c> or <c>PostgreSql</c>.</summary>
    public StorageProvider Provider { get; set; } = StorageProvider.Sqlite;

    /// <summary>ADO.NET connection string. For SQLite, <c>Data Source=path</c>; the file is created.</summary>
    public string ConnectionString { get; set; } = "Data Source=exchange-gateway.db";

    /// <summary>How often other instances' commits are looked for on a server database (0: never;
    /// PostgreSQL also pushes them with LISTEN/NOTIFY, so this is only its safety net).</summary>
    public TimeSpan FeedPollInterval { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>How long SQLite waits for a lock before it reports busy, in milliseconds.</summary>
    public int SqliteBusyTimeoutMilliseconds { get; set; } = 5000;

    /// <summary>How many pages the SQLite log holds before the writer copies the last of them into the
    /// database itself so the log starts over (a background connection copies the rest); 16,384 pages is
    /// a log of about 64 MiB.</summary>
    public int SqliteLogRestartPages { get; set; } = 16384;
}

/// <summary>The storage providers, each with its own migrations.</summary>
public enum StorageProvider
{
    /// <summary>An embedded SQLite file in WAL mode with synchronous=FULL.</summary>
    Sqlite,
    /// <summary>Microsoft SQL Server, the production database.</summary>
    SqlServer,
    /// <summary>PostgreSQL, a server database shared by several gateway instances.</summary>
    PostgreSql,
}
