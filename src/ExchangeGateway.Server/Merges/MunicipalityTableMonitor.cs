using ExchangeGateway.Server.Hosting;
using ExchangeGateway.Server.Rules;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ExchangeGateway.Server.Merges;

/// <summary>Every <see cref="GatewayOptions.MunicipalityTableCheckInterval"/>, and once at start-up:
/// picks up a replaced municipality table file, then moves open arrivals out of codes that are closed
/// today. The moves run every time, not only after a reload, because a code also closes by a date
/// passing (mostly 1 January) while the gateway runs, and because another instance with an older
/// table may have accepted an arrival for a code this one already knows is closed. Time comes from the
/// <see cref="TimeProvider"/>, so tests move it.</summary>
internal sealed partial class MunicipalityTableMonitor(
    MunicipalityTableFile table,
    MergedMunicipalityMoves moves,
    TimeProvider time,
    IOptions<GatewayOptions> options,
    ILogger<MunicipalityTableMonitor> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.MunicipalityTableCheckInterval, time);
        try
        {
            do
            {
                await CheckAsync(stoppingToken);
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException)
        {
            // Shutting down.
        }
    }

    private async Task CheckAsync(CancellationToken cancellationToken)
    {
        try
        {
            table.Refresh();
            var moved = await moves.RunAsync(cancellationToken);
            if (moved > 0)
            {
                LogMoved(logger, moved);
            }
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            LogFailed(logger, exception);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Moved {Count} open arrival(s) out of closed municipality codes to their successors.")]
    private static partial void LogMoved(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Municipality table check failed; will retry at the next interval.")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
