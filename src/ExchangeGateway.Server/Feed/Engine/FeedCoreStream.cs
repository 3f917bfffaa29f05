namespace ExchangeGateway.Server.Feed.Engine;

/// <summary>One subscriber stream as the feed core sees it: its window, what it holds, what is queued
/// for it and not yet written, whether it has shown that it acknowledges, and where a replay stands.
/// Guarded by the engine's lock, like the core.</summary>
internal sealed class FeedCoreStream
{
    /// <summary>A replay that has reached the head: from here on the stream is live.</summary>
    public const long Live = long.MaxValue;

    public FeedCoreStream(long id, int window, long fromSequence)
    {
        Id = id;
        Window = Math.Max(1, window);
        Cursor = fromSequence > 0 ? fromSequence : Live;
        ReplayStart = fromSequence > 0 ? fromSequence : 0;
    }

    /// <summary>Where a replay started (0: no replay).</summary>
    public long ReplayStart { get; }

    /// <summary>Attach order: ties between equal streams go to the older one.</summary>
    public long Id { get; }

    /// <summary>The window the subscriber asked for (after the server's cap).</summary>
    public int Window { get; }

    /// <summary>Messages that take memory or a place in the window: queued, being written, or written
    /// and still outstanding. Never more than <see cref="Window"/>.</summary>
    public int Slots { get; set; }

    public int Room => Sealed ? 0 : Window - Slots;

    /// <summary>A pull lease whose fetch has answered: it takes nothing more and detaches by itself once
    /// what it holds is acknowledged or timed out (see <c>FeedCore.Seal</c>).</summary>
    public bool Sealed { get; set; }

    /// <summary>Sends not yet taken by the stream's writer, in order.</summary>
    public LinkedList<OutgoingItem> Queue { get; } = new();

    /// <summary>The send the writer is writing now (at most one).</summary>
    public OutgoingItem? Writing { get; set; }

    /// <summary>Notices outstanding on this stream.</summary>
    public HashSet<FeedEntry> Held { get; } = [];

    /// <summary>A notice timed out here and the stream has acknowledged nothing since.</summary>
    public bool Suspect { get; set; }

    /// <summary>When the stream last acknowledged something.</summary>
    public DateTimeOffset LastAcknowledgedAt { get; set; } = DateTimeOffset.MinValue;

    /// <summary>Replay: the next sequence to load into the buffer; <see cref="Live"/> once caught up (or
    /// for a stream that did not ask for a replay).</summary>
    public long Cursor { get; set; }

    /// <summary>Replay: notices at or after the replay start not yet sent on this stream, in order.</summary>
    public List<FeedEntry> Buffer { get; } = [];

    public bool ReplayLoading { get; set; }

    /// <summary>Changes when delivery leaves this instance, so a replay read started before is ignored.</summary>
    public int ReplayGeneration { get; set; }

    public bool IsOpen { get; set; } = true;

    /// <summary>Acknowledged something within the last redelivery timeout.</summary>
    public bool Proven(DateTimeOffset now, TimeSpan redeliveryTimeout) => now - LastAcknowledgedAt < redeliveryTimeout;

    public bool EverAcknowledged => LastAcknowledgedAt != DateTimeOffset.MinValue;

    /// <summary>A notice the replay owes that was withdrawn before it was written goes back, in order.</summary>
    public void ReturnToBuffer(FeedEntry entry)
    {
        var at = Buffer.BinarySearch(entry, BySequence.Instance);
        if (at < 0)
        {
            Buffer.Insert(~at, entry);
        }
    }

    private sealed class BySequence : IComparer<FeedEntry>
    {
        public static readonly BySequence Instance = new();

        public int Compare(FeedEntry? x, FeedEntry? y) => x!.Sequence.CompareTo(y!.Sequence);
    }

    /// <summary>Whether the buffer holds an unsent notice about <paramref name="subject"/> before <paramref name="sequence"/>.</summary>
    public bool BufferHoldsEarlier(string subject, long sequence)
    {
        foreach (var entry in Buffer)
        {
            if (entry.Sequence >= sequence)
            {
                return false;
            }
            if (string.Equals(entry.Subject, subject, StringComparison.Ordinal))
            {
                return true;
            }
        }
        return false;
    }
}
