using ExchangeGateway.Server.Hosting;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ExchangeGateway.Server.Deadlines;

/// <summary>Looks for passed deadlines (acknowledgements and the chain's obligations) every <see cref="GatewayOptions.DeadlineSweepInterval"/>, and
/// once at start-up, so a deadline that passed while the gateway was down fires when it is up. Time
/// comes from the <see cref="TimeProvider"/>, so tests move it.</summary>
internal sealed partial class DeadlineMonitor(
    AcknowledgementDeadline acknowledgements,
    ObligationDeadlines obligations,
    TimeProvider time,
    IOptions<GatewayOptions> options,
    ILogger<DeadlineMonitor> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.DeadlineSweepInterval, time);
        try
        {
            do
            {
                try
                {
                    var raised = await acknowledgements.SweepAsync(stoppingToken) + await obligations.SweepAsync(stoppingToken);
                    if (raised > 0)
                    {
                        LogRaised(logger, raised);
                    }
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

    [LoggerMessage(Level = LogLevel.Warning, Message = "Raised {Count} escalation(s) for passed deadlines.")]
    private static partial void LogRaised(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Deadline sweep failed; will retry at the next interval.")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
