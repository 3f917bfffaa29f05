using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Options;

namespace ExchangeGateway.Server.Limits;

/// <summary>Counts the feed streams each organisation holds open, so that one organisation cannot
/// take the server's memory and dispatcher time with thousands of idle streams. An organisation may
/// hold <see cref="LimitsOptions.MaxFeedStreamsPerFeed"/> for each feed it may open, so that a
/// municipal organisation serving many codes (one stream per code) is not cut. Keyed by organisation
/// id (registry-bounded).</summary>
internal sealed class FeedStreamSlots(IOptions<GatewayOptions> options)
{
    private readonly ConcurrentDictionary<string, Counter> _open = new(StringComparer.Ordinal);
    private readonly int _perFeed = options.Value.Limits.MaxFeedStreamsPerFeed;

    /// <summary>The most streams <paramref name="organisation"/> may hold open (0: no limit).</summary>
    public int MaxFor(Organisation organisation) => _perFeed <= 0 ? 0 : _perFeed * Math.Max(1, organisation.Feeds.Count());

    /// <summary>Takes a slot for a new stream, or returns null when the organisation holds the most
    /// allowed. Dispose the slot when the stream ends.</summary>
    public Slot? TryEnter(Organisation organisation)
    {
        if (_perFeed <= 0)
        {
            return new Slot(null);
        }
        var counter = _open.GetOrAdd(organisation.Id, static (_, state) => new Counter(state.Slots.MaxFor(state.Organisation)), (Slots: this, Organisation: organisation));
        if (Interlocked.Increment(ref counter.Count.Value) > counter.Max)
        {
            Interlocked.Decrement(ref counter.Count.Value);
            return null;
        }
        return new Slot(counter.Count);
    }

    /// <summary>How many streams the organisation holds open now (for tests and diagnostics).</summary>
    public int OpenCount(string organisationId) => _open.TryGetValue(organisationId, out var counter) ? Volatile.Read(ref counter.Count.Value) : 0;

    private sealed record Counter(int Max)
    {
        public StrongBox<int> Count { get; } = new();
    }

    public sealed class Slot(StrongBox<int>? count) : IDisposable
    {
        private StrongBox<int>? _count = count;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _count, null) is { } count)
            {
                Interlocked.Decrement(ref count.Value);
            }
        }
    }
}
