using System.Threading.Channels;
using ExchangeGateway.Contracts.V1;

namespace ExchangeGateway.Server.Feed;

/// <summary>One subscriber stream on a feed. Its outgoing queue never holds more than its window of
/// notices (plus confirmations), because the dispatcher only hands it notices while it has room:
/// a slow subscriber fills its own window and nobody else's.</summary>
internal sealed class FeedStream
{
    private readonly Channel<SubscribeResponse> _outgoing = Channel.CreateUnbounded<SubscribeResponse>(
        new UnboundedChannelOptions { SingleReader = true });

    public FeedStream(int window, long fromSequence)
    {
        Window = window;
        ReplayNext = fromSequence > 0 ? fromSequence : null;
    }

    public int Window { get; }

    /// <summary>Notices sent on this stream and not yet acknowledged or timed out. Guarded by the dispatcher.</summary>
    public int Outstanding { get; set; }

    public int Room => Window - Outstanding;

    public bool IsOpen { get; private set; } = true;

    /// <summary>While replaying: the next sequence to replay; null once live.</summary>
    public long? ReplayNext { get; set; }

    /// <summary>Replayed notices awaiting acknowledgement on this stream: sequence → (subject, sent at).</summary>
    public Dictionary<long, (string Subject, DateTimeOffset SentAt)> Replayed { get; } = [];

    public ChannelReader<SubscribeResponse> Outgoing => _outgoing.Reader;

    public void Send(SubscribeResponse message) => _outgoing.Writer.TryWrite(message);

    public void Close()
    {
        IsOpen = false;
        _outgoing.Writer.TryComplete();
    }
}
