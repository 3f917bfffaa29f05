using ExchangeGateway.Server.Hosting;
using ExchangeGateway.Tests.Fixtures;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace ExchangeGateway.Tests.Hosting;

public sealed class FileReloaderTests
{
    private sealed class Source(Func<bool> refresh) : IReloadable
    {
        public int Looks { get; private set; }

        public bool Refresh()
        {
            Looks++;
            return refresh();
        }
    }

    private sealed class Observer : IReloadObserver
    {
        private int _told;

        public int Told => Volatile.Read(ref _told);

        public void OnReloaded() => Interlocked.Increment(ref _told);
    }

    private static FileReloader Reloader(IReloadable[] sources, IReloadObserver[] observers, TimeProvider time, TimeSpan? interval = null) =>
        new(sources, observers, time, Options.Create(new GatewayOptions { FileReloadInterval = interval ?? TimeSpan.FromSeconds(5) }),
            NullLogger<FileReloader>.Instance);

    [Fact]
    public void PollOnce_NothingChanged_ObserversNotTold()
    {
        var observer = new Observer();
        var reloader = Reloader([new Source(() => false), new Source(() => false)], [observer], TimeProvider.System);

        Assert.False(reloader.PollOnce());
        Assert.Equal(0, observer.Told);
    }

    [Fact]
    public void PollOnce_TwoSourcesChanged_EverySourceLookedAtAndObserversToldOnce()
    {
        var first = new Source(() => true);
        var second = new Source(() => true);
        var observer = new Observer();
        var reloader = Reloader([first, second], [observer], TimeProvider.System);

        Assert.True(reloader.PollOnce());
        Assert.Equal((1, 1), (first.Looks, second.Looks));
        Assert.Equal(1, observer.Told);
    }

    [Fact]
    public async Task ExecuteAsync_IntervalPassesOnTheClock_LooksAndTellsObservers()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var source = new Source(() => true);
        var observer = new Observer();
        using var reloader = Reloader([source], [observer], time, TimeSpan.FromSeconds(5));
        await reloader.StartAsync(CancellationToken.None);
        try
        {
            // ExecuteAsync starts on the thread pool, so its timer may not exist yet at the first
            // advance: move the clock one interval at a time until a look happens.
            await Eventually.TrueAsync(() =>
            {
                time.Advance(TimeSpan.FromSeconds(5));
                return Task.FromResult(observer.Told > 0);
            }, "an interval on the fake clock makes the reloader look and tell the observer");
        }
        finally
        {
            await reloader.StopAsync(CancellationToken.None);
        }
    }
}
