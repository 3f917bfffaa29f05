using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ExchangeGateway.Server.Hosting;

/// <summary>A background job that runs every <see cref="Interval"/> (and once at start-up unless
/// <see cref="RunsAtStart"/> says otherwise) until the host stops; a failed round is logged and the
/// next one runs as usual. Every periodic loop of the gateway is one of these.
///
/// One delay per round on the job's clock, the next round due an interval after the last one began:
/// a fake clock moved on by 90 days runs the job once, not once per interval in between (a
/// <see cref="PeriodicTimer"/> ticked for every interval passed: a retention test spent 4.8 s inside
/// one such move), and a clock moved while a round runs still brings one more round at once, so a
/// test that moves the clock and waits for the job's effect never misses it.</summary>
internal abstract partial class PeriodicJob(TimeProvider time, ILogger logger) : BackgroundService
{
    /// <summary>The job's clock.</summary>
    protected TimeProvider Time { get; } = time;

    /// <summary>The job's log.</summary>
    protected ILogger Logger { get; } = logger;

    /// <summary>Time between the starts of two rounds.</summary>
    protected abstract TimeSpan Interval { get; }

    /// <summary>False for a job that waits one interval before its first round.</summary>
    protected virtual bool RunsAtStart => true;

    /// <summary>False for a job that has nothing to do in this configuration.</summary>
    protected virtual bool Enabled => true;

    /// <summary>One round.</summary>
    protected abstract Task RunOnceAsync(CancellationToken cancellationToken);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!Enabled)
        {
            return;
        }
        var due = Time.GetUtcNow() + (RunsAtStart ? TimeSpan.Zero : Interval);
        try
        {
            while (true)
            {
                var wait = due - Time.GetUtcNow();
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait, Time, stoppingToken);
                }
                var started = Time.GetUtcNow();
                try
                {
                    await RunOnceAsync(stoppingToken);
                }
                catch (Exception exception) when (exception is not OperationCanceledException)
                {
                    LogRoundFailed(Logger, GetType().Name, exception.GetType().Name, Interval, exception);
                }
                due = started + Interval;
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down.
        }
    }

    [LoggerMessage(EventId = 7005, Level = LogLevel.Warning, Message = "{Job} failed ({ExceptionType}); it runs again in {Interval}.")]
    private static partial void LogRoundFailed(ILogger logger, string job, string exceptionType, TimeSpan interval, Exception exception);
}
