using Microsoft.Extensions.Logging;

namespace ExchangeGateway.Server.Retention;

/// <summary>Runs the retention sweep every <see cref="RetentionOptions.SweepInterval"/>, and once at
/// start-up (so a database restored from an old backup is cleaned before long). Time comes from the
/// <see cref="TimeProvider"/>, so tests move it.</summary>
internal sealed class RetentionMonitor(RetentionSweep sweep, TimeProvider time, ILogger<RetentionMonitor> logger) : PeriodicJob(time, logger)
{
    protected override TimeSpan Interval => sweep.Interval;

    protected override Task RunOnceAsync(CancellationToken cancellationToken) => sweep.RunAsync(cancellationToken);
}
