using System.Collections.Concurrent;
using ExchangeGateway.Server.Hosting;
using ExchangeGateway.Server.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ExchangeGateway.Server.Feed;

/// <summary>The dispatchers of the feeds that have been subscribed to, and the doorbell that tells
/// them a commit added notices.</summary>
internal sealed class FeedHub(
    GatewayDbContextFactory contexts,
    TimeProvider time,
    IOptions<GatewayOptions> options,
    ILoggerFactory loggers) : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, Lazy<FeedDispatcher>> _dispatchers = new(StringComparer.Ordinal);
    private readonly ILogger _logger = loggers.CreateLogger<FeedDispatcher>();

    public FeedDispatcher Dispatcher(string feed) => _dispatchers.GetOrAdd(feed, name => new Lazy<FeedDispatcher>(
        () => new FeedDispatcher(name, contexts, time, options.Value.RedeliveryTimeout, _logger))).Value;

    /// <summary>Called after a commit that added notices to <paramref name="feeds"/>. Feeds nobody
    /// subscribed to need no call: their first subscriber reads the database.</summary>
    public void NotifyCommitted(IEnumerable<string> feeds)
    {
        foreach (var feed in feeds)
        {
            if (_dispatchers.TryGetValue(feed, out var dispatcher) && dispatcher.IsValueCreated)
            {
                dispatcher.Value.OnCommitted();
            }
        }
    }

    /// <summary>The feeds with a dispatcher in this instance.</summary>
    public IReadOnlyCollection<string> ActiveFeeds => [.. _dispatchers.Where(d => d.Value.IsValueCreated).Select(d => d.Key)];

    public async ValueTask DisposeAsync()
    {
        foreach (var dispatcher in _dispatchers.Values.Where(d => d.IsValueCreated))
        {
            await dispatcher.Value.DisposeAsync();
        }
    }
}
