using ExchangeGateway.EndToEnd.Fixtures;
using ExchangeGateway.Server.Storage;

namespace ExchangeGateway.EndToEnd;

/// <summary><c>exgw backup</c> as an operator runs it.</summary>
public sealed class BackupCommandTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Backup_GatewayDatabase_WritesACheckedCopyAndNeverOverwritesIt()
    {
        var work = Directory.CreateTempSubdirectory("exgw-e2e-backup-").FullName;
        var source = Path.Combine(work, "gateway.db");
        await new GatewayDbContextFactory(new StorageOptions { ConnectionString = $"Data Source={source}" }).MigrateAsync(CancellationToken.None);
        var target = Path.Combine(work, "backups", "gateway-backup.db");

        var first = await ChildProcess.RunAsync("dotnet", [GatewayProcess.ExgwPath, "backup", target, "--db", source], work, Timeout);
        var second = await ChildProcess.RunAsync("dotnet", [GatewayProcess.ExgwPath, "backup", target, "--db", source], work, Timeout);

        Assert.True(first.ExitCode == 0, first.Output);
        Assert.Contains("integrity_check: ok", first.Output, StringComparison.Ordinal);
        Assert.Equal("ok", await SqliteBackup.IntegrityCheckAsync(target, CancellationToken.None));
        Assert.Equal(2, second.ExitCode);
        Assert.Contains("exists already", second.Output, StringComparison.Ordinal);
        Directory.Delete(work, recursive: true);
    }

    [Fact]
    public async Task Backup_ServerDatabaseConfigured_RefusesAndNamesItsOwnTools()
    {
        var work = Directory.CreateTempSubdirectory("exgw-e2e-backup-").FullName;

        var result = await ChildProcess.RunAsync("dotnet",
            [GatewayProcess.ExgwPath, "backup", Path.Combine(work, "copy.db"), "--Gateway:Storage:Provider=PostgreSql"], work, Timeout);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("pg_basebackup", result.Output, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(work));
        Directory.Delete(work, recursive: true);
    }
}
