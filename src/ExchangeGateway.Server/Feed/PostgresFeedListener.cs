using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace ExchangeGateway.Server.Feed;

/// <summary>On PostgreSQL, what an instance commits about a feed is also sent as a NOTIFY (see
/// <see cref="FeedSignal"/>); every instance LISTENs and passes it to its feed engines and its lease
/// manager: new notices wake subscribers connected to another instance within milliseconds,
/// acknowledgements made elsewhere and redactions reach the instance that delivers the feed, and a
/// released lease is taken up at once. (The feed-head poll stays on as a safety net for
/// notifications lost while a listener reconnects.)</summary>
internal sealed partial class PostgresFeedListener(GatewayDbContextFactory contexts, FeedHub hub, FeedLeases leases, ILogger<PostgresFeedListener> logger) : BackgroundService
{
    public const string Channel = "exgw_feeds";

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
                connection.Notification += (_, e) => Dispatch(e.Payload);
                await using (var listen = new NpgsqlCommand($"LISTEN {Channel}", connection))
                {
                    await listen.ExecuteNonQueryAsync(stoppingToken);
                }
                // Anything signalled while we were not listening is found by reading the feeds again.
                foreach (var engine in hub.Engines)
                {
                    _ = engine.RefreshAsync(stoppingToken);
                }
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

    private void Dispatch(string payload)
    {
        foreach (var signal in FeedSignal.Parse(payload))
        {
            switch (signal.Kind)
            {
                case FeedSignalKind.Committed when signal.Sequences is [var head]:
                    hub.HeadMoved(signal.Feed, head);
                    break;
                case FeedSignalKind.Acknowledged when signal.Sequences is { } acknowledged:
                    hub.AcknowledgedElsewhere(signal.Feed, acknowledged);
                    break;
                case FeedSignalKind.Redacted when signal.Sequences is { } redacted:
                    hub.Redacted(signal.Feed, redacted);
                    break;
                case FeedSignalKind.Released:
                    leases.Released(signal.Feed);
                    break;
            }
        }
    }

    [LoggerMessage(EventId = 5008, Level = LogLevel.Warning, Message = "Listening for other instances' commits failed; reconnecting.")]
    private static partial void LogListenFailed(ILogger logger, Exception exception);
}
