using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ExchangeGateway.Server.Hosting;

/// <summary>Creates or migrates the schema before the server takes calls (hosted services start
/// before Kestrel listens).</summary>
internal sealed partial class StorageStartup(GatewayDbContextFactory contexts, ILogger<StorageStartup> logger) : IHostedService
{
    /// <summary>Whether the schema is current (readiness waits for it).</summary>
    public bool Migrated { get; private set; }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await contexts.MigrateAsync(cancellationToken);
        Migrated = true;
        LogReady(logger, contexts.Provider);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(EventId = 7006, Level = LogLevel.Information, Message = "Storage ready ({Provider}); schema migrated.")]
    private static partial void LogReady(ILogger logger, StorageProvider provider);
}
