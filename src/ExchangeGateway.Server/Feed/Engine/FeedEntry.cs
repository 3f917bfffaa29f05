namespace ExchangeGateway.Server.Feed.Engine;

/// <summary>A committed notice as the feed engine holds it: its stored body (the protobuf
/// <c>Notice</c> without sequence and delivery count, exactly as in the database) and where it is.
/// An entry in the region is unacknowledged; one only in a replay buffer is history (acknowledged).</summary>
internal sealed class FeedEntry(long sequence, string subject, byte[] body)
{
    public long Sequence { get; } = sequence;

    /// <summary>The arrival (or report) the notice is about: notices about one subject go out in order.</summary>
    public string Subject { get; } = subject;

    /// <summary>Replaced in place when retention redacts the notice, so whatever is queued sends the redacted form.</summary>
    public byte[] Body { get; set; } = body;

    /// <summary>Retention's redaction was applied to <see cref="Body"/> here.</summary>
    public bool Redacted { get; set; }

    /// <summary>Durably acknowledged (through any stream or instance).</summary>
    public bool Acknowledged { get; set; }

    /// <summary>In the region: unacknowledged and known to the engine.</summary>
    public bool InRegion { get; set; }

    /// <summary>The stream this notice is outstanding on, or null when it is free.</summary>
    public FeedCoreStream? Holder { get; set; }

    /// <summary>The send of the current assignment (queued, being written, or written).</summary>
    public OutgoingItem? Current { get; set; }

    /// <summary>Counts assignments, so a timer of an earlier one is recognised as stale.</summary>
    public int Assignment { get; set; }

    /// <summary>The streams this notice's redelivery timeout ran out on: it goes to a stream with room
    /// that has not had it before it goes back to one of them (null until it first times out).</summary>
    public List<FeedCoreStream>? TimedOutOn { get; set; }

    public bool HasTimedOutOn(FeedCoreStream stream) => TimedOutOn?.Contains(stream) == true;

    /// <summary>How often it was written to a stream (the next send's redelivery_count).</summary>
    public int Sent { get; set; }

    /// <summary>The next unacknowledged notice about the same subject, in sequence order.</summary>
    public FeedEntry? NextInSubject { get; set; }

    /// <summary>Sitting in the eligible heap (possibly stale; checked when taken).</summary>
    public bool InHeap { get; set; }
}

/// <summary>One send on one stream: a live notice (outstanding until acknowledged or timed out) or a
/// replayed acknowledged one (history, owed only its write).</summary>
internal sealed class OutgoingItem(FeedEntry entry, bool history)
{
    public FeedEntry Entry { get; } = entry;

    public bool History { get; } = history;

    /// <summary>No longer outstanding (acknowledged, timed out, or history from the start).</summary>
    public bool Released { get; set; } = history;

    /// <summary>Written to the transport (or withdrawn before it was).</summary>
    public bool Written { get; set; }

    /// <summary>A replaying stream owes its subscriber this notice: withdrawn unwritten, it goes back
    /// into the stream's replay buffer.</summary>
    public bool Owed { get; set; }

    public LinkedListNode<OutgoingItem>? Node { get; set; }

    /// <summary>A live send: when its redelivery timeout runs out.</summary>
    public DateTimeOffset Due { get; init; }
}
