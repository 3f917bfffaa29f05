using ExchangeGateway.Server.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace ExchangeGateway.Server.Feed;

/// <summary>On PostgreSQL, a commit that adds notices also NOTIFYs the feeds it touched; every gateway
/// instance LISTENs and wakes its dispatchers, so a notice committed through one instance reaches
/// subscribers connected to another within milliseconds. (The feed-head poller stays on as a safety
/// net for notifications lost while a listener reconnects.)</summary>
internal sealed partial class PostgresFeedListener(GatewayDbContextFactory contexts, FeedHub hub, ILogger<PostgresFeedListener> logger) : BackgroundService
{
    public const string Channel = "exgw_feeds";

    /// <summary>Payload limit of NOTIFY is 8000 bytes; feed names are short, and a larger set is sent in parts.</summary>
    public static async Task NotifyAsync(GatewayDbContext db, IReadOnlyList<string> feeds, CancellationToken cancellationToken)
    {
        foreach (var part in feeds.Chunk(200))
        {
            var payload = string.Join(',', part);
            await db.Database.ExecuteSqlAsync($"SELECT pg_notify({Channel}, {payload})", cancellationToken);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (contexts.Provider != StorageProvider.PostgreSql)
        {
            return;
        }
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = new NpgsqlConnection(contexts.ConnectionString);
                await connection.OpenAsync(stoppingToken);
                connection.Notification += (_, e) => hub.NotifyCommitted(e.Payload.Split(',', StringSplitOptions.RemoveEmptyEntries));
                await using (var listen = new NpgsqlCommand($"LISTEN {Channel}", connection))
                {
                    await listen.ExecuteNonQueryAsync(stoppingToken);
                }
                // Anything committed while we were not listening is picked up by waking everyone once.
                hub.NotifyCommitted(hub.ActiveFeeds);
                while (!stoppingToken.IsCancellationRequested)
                {
                    await connection.WaitAsync(stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception exception)
            {
                LogListenFailed(logger, exception);
                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Listening for other instances' commits failed; reconnecting.")]
    private static partial void LogListenFailed(ILogger logger, Exception exception);
}
