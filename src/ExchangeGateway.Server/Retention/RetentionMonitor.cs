using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ExchangeGateway.Server.Retention;

/// <summary>Runs the retention sweep every <see cref="RetentionOptions.SweepInterval"/>, and once at
/// start-up (so a database restored from an old backup is cleaned before long). Time comes from the
/// <see cref="TimeProvider"/>, so tests move it.</summary>
internal sealed partial class RetentionMonitor(RetentionSweep sweep, TimeProvider time, ILogger<RetentionMonitor> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(sweep.Interval, time);
        try
        {
            do
            {
                try
                {
                    await sweep.RunAsync(stoppingToken);
                }
                catch (Exception exception) when (exception is not OperationCanceledException)
                {
                    LogFailed(logger, exception);
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException)
        {
            // Shutting down.
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Retention sweep failed; will retry at the next interval.")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
