using Microsoft.Data.Sqlite;
using Microsoft.Data.SqlClient;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.SqlServer.Storage.Internal;
using Polly;
using Polly.Retry;

namespace ExchangeGateway.Server.Storage;

/// <summary>Classifies storage exceptions and retries the transient ones (SQLite busy or locked,
/// SQL Server transient errors) inside the gateway, so a short lock wait never reaches the caller.</summary>
internal static class StorageResilience
{
    // SQLite primary result codes (https://sqlite.org/rescode.html).
    private const int SqliteBusy = 5;
    private const int SqliteLocked = 6;
    private const int SqliteReadOnly = 8;
    private const int SqliteIoError = 10;
    private const int SqliteFull = 13;
    private const int SqliteCantOpen = 14;

    /// <summary>Backoff runs on the wall clock, not the gateway's (possibly fake) business clock: a
    /// lock wait is real time whatever time the rules see.</summary>
    public static ResiliencePipeline CreatePipeline() => new ResiliencePipelineBuilder()
        .AddRetry(new RetryStrategyOptions
        {
            // A unique violation that reaches this level is a race between instances creating the same
            // row (a feed's first notice): the retry finds the row and goes on. Violations caused by one
            // unit of work alone are handled per unit by the write batcher.
            ShouldHandle = new PredicateBuilder().Handle<Exception>(e => IsTransient(e) || IsUniqueViolation(e)),
            MaxRetryAttempts = 6,
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            Delay = TimeSpan.FromMilliseconds(20),
            MaxDelay = TimeSpan.FromSeconds(1),
        })
        .Build();

    /// <summary>Worth retrying at once: the same work will likely succeed in a moment.</summary>
    public static bool IsTransient(Exception exception) => Root(exception) switch
    {
        SqliteException sqlite => (sqlite.SqliteErrorCode & 0xFF) is SqliteBusy or SqliteLocked,
#pragma warning disable EF1001 // The detector is the provider's own list of transient SQL Server errors.
        SqlException sql => SqlServerTransientExceptionDetector.ShouldRetryOn(sql),
#pragma warning restore EF1001
        Npgsql.PostgresException postgres => postgres.IsTransient || postgres.SqlState is "40001" or "40P01",
        Npgsql.NpgsqlException npgsql => npgsql.IsTransient,
        TimeoutException => true,
        _ => false,
    };

    /// <summary>Storage cannot take writes now (busy past the retries, disk full, read-only, I/O
    /// error, unreachable): the caller gets UNAVAILABLE and may retry later with the same request_id.</summary>
    public static bool IsUnavailable(Exception exception) => IsTransient(exception) || Root(exception) switch
    {
        SqliteException sqlite => (sqlite.SqliteErrorCode & 0xFF) is SqliteReadOnly or SqliteIoError or SqliteFull or SqliteCantOpen,
        SqlException sql => IsSqlServerUnavailable(sql.Number),
        Npgsql.PostgresException postgres => postgres.SqlState.StartsWith("08", StringComparison.Ordinal)
            || postgres.SqlState.StartsWith("53", StringComparison.Ordinal) || postgres.SqlState.StartsWith("57", StringComparison.Ordinal),
        Npgsql.NpgsqlException => true,
        _ => false,
    };

    /// <summary>A unique-key conflict: another writer got there first (e.g. the same request_id twice at once).</summary>
    public static bool IsUniqueViolation(Exception exception) => Root(exception) switch
    {
        SqliteException sqlite => sqlite.SqliteErrorCode == 19 && sqlite.SqliteExtendedErrorCode is 1555 or 2067,
        SqlException sql => sql.Number is 2601 or 2627,
        Npgsql.PostgresException postgres => postgres.SqlState == "23505",
        _ => false,
    };

    /// <summary>SQL Server errors that mean the server or database cannot take the work now (as opposed
    /// to one statement's own fault, e.g. a constraint violation, which fails that unit alone). Numbers
    /// from the SQL Server error reference; transient ones are also in the provider's retry list.</summary>
    private static bool IsSqlServerUnavailable(int number) => number switch
    {
        -2 => true,                                        // client timeout
        2 or 53 or 64 or 233 or 10053 or 10054 or 10060 or 10061 => true, // network: not found, broken, refused
        701 or 8645 or 8651 => true,                       // out of memory, memory grant timeouts
        1105 or 9002 => true,                              // filegroup or transaction log full
        3906 or 3908 => true,                              // database read-only
        4060 or 18456 or 18401 => true,                    // database unavailable, login failed, server paused
        40143 or 40197 or 40501 or 40613 or 49918 or 49919 or 49920 => true, // Azure SQL: busy, failing over
        1205 or 1222 => true,                              // deadlock victim, lock timeout (retried first)
        _ => false,
    };

    private static Exception Root(Exception exception) =>
        exception is DbUpdateException { InnerException: { } inner } ? inner : exception;
}
