using ExchangeGateway.Server.Storage;
using ExchangeGateway.Tests.Fixtures;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.EntityFrameworkCore.Infrastructure;

namespace ExchangeGateway.Tests.Storage;

public sealed class StorageProviderTests
{
    [Fact]
    public void SqlServerMigrations_GenerateScript_CreatesEveryTableWithoutAServer()
    {
        using var db = new SqlServerDesignTimeFactory().CreateDbContext([]);

        var script = db.GetService<IMigrator>().GenerateScript(options: MigrationsSqlGenerationOptions.Idempotent);

        foreach (var table in new[] { "Arrivals", "Travellers", "ArrivalHistory", "Feeds", "Notices", "IdempotencyRecords" })
        {
            Assert.Contains($"CREATE TABLE [{table}]", script, StringComparison.Ordinal);
        }
        Assert.Contains("WHERE [AcknowledgedAt] IS NULL", script, StringComparison.Ordinal);
        Assert.NotEmpty(db.Database.GetMigrations());
    }

    [Fact]
    public void SqliteModel_HasNoChangesMissingFromItsMigrations()
    {
        using var db = new SqliteDesignTimeFactory().CreateDbContext([]);
        Assert.False(db.Database.HasPendingModelChanges());
    }

    [Fact]
    public void SqlServerModel_HasNoChangesMissingFromItsMigrations()
    {
        using var db = new SqlServerDesignTimeFactory().CreateDbContext([]);
        Assert.False(db.Database.HasPendingModelChanges());
    }

    [Fact]
    public async Task SqliteConnection_AfterStartup_IsWalWithFullSync()
    {
        await using var host = await GatewayHost.StartAsync();
        await using var db = host.Db();
        await db.Database.OpenConnectionAsync();
        var connection = (SqliteConnection)db.Database.GetDbConnection();

        Assert.Equal("wal", Pragma(connection, "journal_mode"));
        Assert.Equal("2", Pragma(connection, "synchronous")); // FULL
    }

    private static string Pragma(SqliteConnection connection, string name)
    {
        using var command = connection.CreateCommand();
        command.CommandText = $"PRAGMA {name};";
        return Convert.ToString(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture)!;
    }
}
