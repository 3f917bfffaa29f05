using System.Collections.Concurrent;
using System.Threading.Channels;
using ExchangeGateway.Server.Audit;
using ExchangeGateway.Server.Feed.Engine;
using Grpc.Core;

namespace ExchangeGateway.Server.Feed;

/// <summary>One Subscribe stream: its stream in the feed engine, the events it must still write that
/// are not notices (confirmations of acknowledgements), and its acknowledgements on their way to the
/// database. The stream's writer takes what is next and waits for a wake-up when there is nothing.</summary>
internal sealed class FeedSubscription
{
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1)
    {
        FullMode = BoundedChannelFullMode.DropWrite,
        SingleReader = true,
    });
    private readonly ConcurrentQueue<FeedMessage> _events = new();
    private readonly TaskCompletionSource<RpcException> _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _finishing;

    public FeedSubscription(FeedEngine engine, FeedCoreStream stream, Caller caller, AuditScope? audit)
    {
        Engine = engine;
        Stream = stream;
        Caller = caller;
        Audit = audit;
    }

    public FeedEngine Engine { get; }

    public FeedCoreStream Stream { get; }

    public string Feed => Engine.Feed;

    public Caller Caller { get; }

    /// <summary>The call's audit context: deliveries are recorded per acknowledged batch.</summary>
    public AuditScope? Audit { get; }

    /// <summary>Completes when the stream must end for a reason found elsewhere (its acknowledgements
    /// could not be stored).</summary>
    public Task<RpcException> Ended => _ended.Task;

    // Guarded by the AcknowledgementWriter's lock.
    internal List<long> PendingAcknowledgements { get; } = [];

    internal bool Waiting { get; set; }

    internal TaskCompletionSource? NextCommit { get; set; }

    internal Task? InFlightCommit { get; set; }

    public void Wake() => _wake.Writer.TryWrite(true);

    /// <summary>Queues an event (not a notice) for the writer. At most one confirmation is outstanding
    /// per batch of acknowledgements, so this stays small whatever the subscriber does.</summary>
    public void Post(FeedMessage message)
    {
        _events.Enqueue(message);
        Wake();
    }

    /// <summary>What the writer writes next: an event, else a notice (none once finishing); null when
    /// there is nothing.</summary>
    public FeedMessage? TakeNext() =>
        _events.TryDequeue(out var message) ? message : Volatile.Read(ref _finishing) ? null : Engine.TakeNext(this);

    /// <summary>The call is ending normally: the writer writes the events still queued, then stops.</summary>
    public void Finish()
    {
        Volatile.Write(ref _finishing, true);
        Wake();
    }

    public bool Finishing => Volatile.Read(ref _finishing);

    public async ValueTask WaitAsync(CancellationToken cancellationToken)
    {
        if (await _wake.Reader.WaitToReadAsync(cancellationToken))
        {
            _wake.Reader.TryRead(out _);
        }
    }

    public void End(RpcException reason) => _ended.TrySetResult(reason);
}
