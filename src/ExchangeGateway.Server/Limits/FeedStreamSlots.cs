using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using ExchangeGateway.Server.Hosting;
using Microsoft.Extensions.Options;

namespace ExchangeGateway.Server.Limits;

/// <summary>Counts the feed streams each organisation holds open, so that one organisation cannot
/// take the server's memory and dispatcher time with thousands of idle streams. Keyed by
/// organisation id (registry-bounded).</summary>
internal sealed class FeedStreamSlots(IOptions<GatewayOptions> options)
{
    private readonly ConcurrentDictionary<string, StrongBox<int>> _open = new(StringComparer.Ordinal);
    private readonly int _max = options.Value.Limits.MaxFeedStreamsPerOrganisation;

    public int Max => _max;

    /// <summary>Takes a slot for a new stream, or returns null when the organisation holds the most
    /// allowed. Dispose the slot when the stream ends.</summary>
    public Slot? TryEnter(string organisationId)
    {
        if (_max <= 0)
        {
            return new Slot(null);
        }
        var count = _open.GetOrAdd(organisationId, static _ => new StrongBox<int>());
        if (Interlocked.Increment(ref count.Value) > _max)
        {
            Interlocked.Decrement(ref count.Value);
            return null;
        }
        return new Slot(count);
    }

    /// <summary>How many streams the organisation holds open now (for tests and diagnostics).</summary>
    public int OpenCount(string organisationId) => _open.TryGetValue(organisationId, out var count) ? Volatile.Read(ref count.Value) : 0;

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
