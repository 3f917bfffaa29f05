using System.CommandLine;
using ExchangeGateway.Cli.Serve;
using ExchangeGateway.Server.Hosting;
using ExchangeGateway.Server.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;

namespace ExchangeGateway.Cli.Backup;

/// <summary><c>exgw backup &lt;target-file&gt;</c>: a consistent copy of the gateway's SQLite database,
/// taken while the gateway runs and writes. Restoring is described in the README.</summary>
internal static class BackupCommand
{
    public static Command Create()
    {
        var target = new Argument<string>("target-file") { Description = "Where the backup goes; must not exist yet." };
        var dev = new Option<bool>("--dev") { Description = $"The development database (default {GatewayLauncher.DefaultDevDatabase}), as 'serve --dev' uses it." };
        var database = new Option<string?>("--db") { Description = "The SQLite database file to back up (as 'serve --db')." };
        var command = new Command("backup",
            "Back up the gateway's SQLite database online (VACUUM INTO: a consistent snapshot without free pages; writers are not stopped). "
            + "The database is found as 'exgw serve' finds it: --db, --dev, --Gateway:Storage:ConnectionString=..., environment Gateway__Storage__ConnectionString, or appsettings.json.")
        {
            target, dev, database,
        };
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction(async (result, cancellationToken) =>
        {
            var storage = ConfiguredStorage(result.GetValue(dev), result.GetValue(database), [.. result.UnmatchedTokens]);
            if (storage.Provider != StorageProvider.Sqlite)
            {
                await Console.Error.WriteLineAsync($"The gateway's storage is {storage.Provider}: back it up with the database's own tools (SQL Server: BACKUP DATABASE; PostgreSQL: pg_basebackup or pg_dump). 'exgw backup' is for SQLite.");
                return 2;
            }
            try
            {
                var backup = await SqliteBackup.CreateAsync(storage.ConnectionString, result.GetValue(target)!, cancellationToken);
                if (!backup.Ok)
                {
                    await Console.Error.WriteLineAsync($"The copy of {backup.Source} failed its integrity check ({backup.Integrity}); it is left at {backup.Target} for inspection.");
                    return 1;
                }
                Console.WriteLine($"Backed up {backup.Source} to {backup.Target} ({backup.Bytes:N0} bytes); integrity_check: ok.");
                return 0;
            }
            catch (BackupRefusedException refused)
            {
                await Console.Error.WriteLineAsync(refused.Message);
                return 2;
            }
        });
        return command;
    }

    /// <summary>The storage settings <c>exgw serve</c> would run with, from the same sources.</summary>
    private static StorageOptions ConfiguredStorage(bool dev, string? database, string[] configurationArguments)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = configurationArguments,
            ContentRootPath = AppContext.BaseDirectory,
        });
        var configured = builder.Configuration.GetSection(GatewayOptions.Section);
        var storage = new StorageOptions();
        configured.GetSection("Storage").Bind(storage);
        if (GatewayLauncher.SqliteDatabaseOverride(dev || builder.Environment.IsDevelopment(), database, configured) is { } path)
        {
            storage.Provider = StorageProvider.Sqlite;
            storage.ConnectionString = $"Data Source={path}";
        }
        return storage;
    }
}
