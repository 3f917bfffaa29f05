using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ExchangeGateway.Server.Hosting;

/// <summary>Looks at every file-backed value each <c>Gateway:FileReloadInterval</c> (on the injected
/// clock, so tests drive it with fake time) and, when any took a new value, tells the observers once.
/// Polling rather than a file system watcher: watchers miss changes on network and container mounts
/// and on symbolic-link swaps, and a few stat calls every few seconds cost nothing.</summary>
internal sealed partial class FileReloader(
    IEnumerable<IReloadable> sources,
    IEnumerable<IReloadObserver> observers,
    TimeProvider time,
    IOptions<GatewayOptions> options,
    ILogger<FileReloader> logger) : BackgroundService
{
    /// <summary>One look at every source; true when something was reloaded.</summary>
    public bool PollOnce()
    {
        var changed = false;
        foreach (var source in sources)
        {
            changed |= source.Refresh();
        }
        if (changed)
        {
            foreach (var observer in observers)
            {
                observer.OnReloaded();
            }
        }
        return changed;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.FileReloadInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    PollOnce();
                }
                catch (Exception exception) when (exception is not OperationCanceledException)
                {
                    // One bad tick must not end reloading for the life of the process.
                    LogPollFailed(logger, exception.GetType().Name, exception);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Looking for changed certificate, CRL or registry files failed ({ExceptionType}); trying again next tick.")]
    private static partial void LogPollFailed(ILogger logger, string exceptionType, Exception exception);
}
