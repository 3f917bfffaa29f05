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
    ILogger<DeadlineMonitor> logger) : PeriodicJob(time, logger)
{
    protected override TimeSpan Interval => options.Value.DeadlineSweepInterval;

    protected override async Task RunOnceAsync(CancellationToken cancellationToken)
    {
        var raised = await acknowledgements.SweepAsync(cancellationToken) + await obligations.SweepAsync(cancellationToken);
        if (raised > 0)
        {
            LogRaised(Logger, raised);
        }
    }

    [LoggerMessage(EventId = 4001, Level = LogLevel.Warning, Message = "Raised {Count} escalation(s) for passed deadlines.")]
    private static partial void LogRaised(ILogger logger, int count);
}
