using System.Collections.Concurrent;
using ExchangeGateway.Server.Feed.Engine;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ExchangeGateway.Server.Feed;

/// <summary>The feed engines of this instance, one per feed that has been subscribed to, and where the
/// events about feeds come in: commits from the local writer, acknowledgements, redactions, and what
/// other instances signal. On SQLite this instance delivers every feed; on a shared database an engine
/// delivers only while this instance holds the feed's lease (see <see cref="FeedLeases"/>).</summary>
internal sealed class FeedHub : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, Lazy<FeedEngine>> _engines = new(StringComparer.Ordinal);
    private readonly FeedReads _reads;
    private readonly TimeProvider _time;
    private readonly FeedCoreSettings _settings;
    private readonly ILogger _logger;
    private readonly bool _shared;

    public FeedHub(GatewayDbContextFactory contexts, TimeProvider time, IOptions<GatewayOptions> options, ILoggerFactory loggers)
    {
        _reads = new FeedReads(contexts);
        _time = time;
        _settings = new FeedCoreSettings(options.Value.RedeliveryTimeout);
        _logger = loggers.CreateLogger<FeedEngine>();
        _shared = contexts.IsShared;
    }

    /// <summary>Called when an engine gets its first stream or loses its last one (the lease follows).</summary>
    public event Action<FeedEngine>? StreamsChanged;

    /// <summary>Database reads the engines made (region loads, replays, resyncs).</summary>
    public long DatabaseReads => _reads.Count;

    public FeedEngine Engine(string feed) => _engines.GetOrAdd(feed, name => new Lazy<FeedEngine>(() =>
    {
        var engine = new FeedEngine(name, _settings, _reads, _time, _logger, e => StreamsChanged?.Invoke(e));
        if (!_shared)
        {
            engine.Activate(); // one instance on its own database delivers every feed
        }
        return engine;
    })).Value;

    /// <summary>The engines in this instance.</summary>
    public IReadOnlyCollection<FeedEngine> Engines => [.. _engines.Values.Where(e => e.IsValueCreated).Select(e => e.Value)];

    /// <summary>The feeds with an engine in this instance.</summary>
    public IReadOnlyCollection<string> ActiveFeeds => [.. Engines.Select(e => e.Feed)];

    /// <summary>After a local commit: the notices go to their feeds' engines as they were stored.
    /// Feeds nobody subscribed to need nothing: their first subscriber reads the database.</summary>
    public void Committed(IReadOnlyList<CommittedNotice> notices)
    {
        foreach (var feed in notices.GroupBy(n => n.Feed, StringComparer.Ordinal))
        {
            if (Existing(feed.Key) is { } engine)
            {
                engine.Committed([.. feed.Select(n => new StoredNotice(n.Sequence, n.Subject, n.Body))]);
            }
        }
    }

    /// <summary>Another instance committed on these feeds (a notification, or the head poll).</summary>
    public void HeadMoved(string feed, long head) => Existing(feed)?.HeadMoved(head);

    /// <summary>Another instance acknowledged these notices of <paramref name="feed"/>.</summary>
    public void AcknowledgedElsewhere(string feed, IReadOnlyCollection<long> sequences) => Existing(feed)?.Acknowledged(sequences, null);

    /// <summary>Retention redacted these notices (here or on another instance).</summary>
    public void Redacted(string feed, IReadOnlyCollection<long> sequences) => Existing(feed)?.Redacted(sequences);

    /// <summary>Per stream open on <paramref name="feed"/> in this instance, the messages it holds in memory.</summary>
    public IReadOnlyList<int> QueuedOn(string feed) => Existing(feed)?.Queued() ?? [];

    private FeedEngine? Existing(string feed) =>
        _engines.TryGetValue(feed, out var engine) && engine.IsValueCreated ? engine.Value : null;

    public async ValueTask DisposeAsync()
    {
        foreach (var engine in Engines)
        {
            await engine.DisposeAsync();
        }
    }
}
