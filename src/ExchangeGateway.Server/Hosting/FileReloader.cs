using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ExchangeGateway.Server.Hosting;

/// <summary>Looks at every file-backed value each <c>Gateway:FileReloadInterval</c> (on the injected
/// clock, so tests drive it with fake time) and, when any took a new value, tells the observers once.
/// Polling rather than a file system watcher: watchers miss changes on network and container mounts
/// and on symbolic-link swaps, and a few stat calls every few seconds cost nothing.</summary>
internal sealed class FileReloader(
    IEnumerable<IReloadable> sources,
    IEnumerable<IReloadObserver> observers,
    TimeProvider time,
    IOptions<GatewayOptions> options,
    ILogger<FileReloader> logger) : PeriodicJob(time, logger)
{
    protected override TimeSpan Interval => options.Value.FileReloadInterval;

    // What was loaded at start-up is current: the first look is one interval later.
    protected override bool RunsAtStart => false;

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

    protected override Task RunOnceAsync(CancellationToken cancellationToken)
    {
        PollOnce();
        return Task.CompletedTask;
    }
}
