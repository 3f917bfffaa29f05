using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using ExchangeGateway.Client.Resilience;
using ExchangeGateway.Contracts.V1;
using Grpc.Core;
using Grpc.Net.Client;

namespace ExchangeGateway.Client.Feed;

/// <summary>Reads the organisation's feed as an <see cref="IAsyncEnumerable{T}"/>: it keeps the stream
/// open, reconnects with backoff after a failure or a gateway restart (resuming with what is not yet
/// acknowledged), hands each notice to the application once (redelivered duplicates are filtered by
/// notice_id), and re-sends acknowledgements the gateway has not confirmed.</summary>
public sealed class NoticeSubscriber
{
    private readonly NoticeFeed.NoticeFeedClient _client;
    private readonly SubscriptionOptions _options;
    private readonly Channel<ulong> _acknowledgements = Channel.CreateUnbounded<ulong>();
    private readonly ConcurrentDictionary<ulong, TaskCompletionSource> _unconfirmed = new();
    private readonly RecentIds _acknowledged;
    private readonly Lock _gate = new();

    // A replay (FromSequence) is asked for on the first connection only; once the gateway has opened
    // it, reconnections continue with what is unacknowledged.
    private ulong _replayFrom;

    internal NoticeSubscriber(GrpcChannel channel, SubscriptionOptions options)
    {
        _client = new NoticeFeed.NoticeFeedClient(channel);
        _options = options;
        _acknowledged = new RecentIds(options.DuplicateMemory);
        _replayFrom = options.FromSequence;
    }

    /// <summary>The gateway's answer to the latest (re)connection.</summary>
    public FeedOpened? Opened { get; private set; }

    /// <summary>How many times the stream was opened.</summary>
    public int Connections { get; private set; }

    /// <summary>Redelivered notices that were filtered out.</summary>
    public long DuplicatesFiltered { get; private set; }

    /// <summary>Raised on every (re)connection, with the gateway's view of the feed.</summary>
    public event Action<FeedOpened>? Connected;

    /// <summary>The notices of the feed, each handed out once per enumeration. Ending an enumeration (a
    /// <c>break</c>, or an exception in the loop) ends its stream; notices it had buffered or handed
    /// out without their acknowledgement are handed out again by the next enumeration.</summary>
    public async IAsyncEnumerable<ReceivedNotice> ReadAllAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var notices = Channel.CreateBounded<ReceivedNotice>((int)Math.Max(1, _options.MaxUnacknowledged));
        // Belongs to this enumeration, like the buffer: a notice buffered or handed out here but never
        // acknowledged is not a duplicate for the next one.
        var handedOut = new RecentIds(_options.DuplicateMemory);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var pump = Task.Run(() => PumpAsync(notices.Writer, handedOut, stop.Token), CancellationToken.None);
        try
        {
            await foreach (var notice in notices.Reader.ReadAllAsync(cancellationToken))
            {
                yield return notice;
            }
            await pump; // surfaces a permanent failure (e.g. PERMISSION_DENIED)
        }
        finally
        {
            await stop.CancelAsync();
            await pump.ContinueWith(_ => { }, TaskScheduler.Default);
        }
    }

    internal Task AcknowledgeAsync(Notice notice, CancellationToken cancellationToken)
    {
        var sequence = notice.Sequence;
        var confirmation = _unconfirmed.GetOrAdd(sequence, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        lock (_gate)
        {
            _acknowledged.Add(notice.NoticeId);
        }
        _acknowledgements.Writer.TryWrite(sequence);
        return confirmation.Task.WaitAsync(cancellationToken);
    }

    private async Task PumpAsync(ChannelWriter<ReceivedNotice> notices, RecentIds handedOut, CancellationToken cancellationToken)
    {
        var reconnects = GatewayResilience.CreateReconnectPipeline(_options.ReconnectBaseDelay, _options.ReconnectMaxDelay, _options.TimeProvider);
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                await reconnects.ExecuteAsync(async token =>
                {
                    var opened = false;
                    try
                    {
                        await RunOnceAsync(notices, handedOut, () => opened = true, token);
                    }
                    catch (Exception e) when (opened && GatewayResilience.IsConnectionLoss(e) && !token.IsCancellationRequested)
                    {
                        // A connection that worked was lost: reconnect at once, the backoff starting afresh.
                    }
                }, cancellationToken);
            }
            notices.TryComplete();
        }
        catch (Exception) when (cancellationToken.IsCancellationRequested)
        {
            notices.TryComplete();
        }
        catch (Exception exception)
        {
            notices.TryComplete(exception);
            throw;
        }
    }

    private async Task RunOnceAsync(ChannelWriter<ReceivedNotice> notices, RecentIds handedOut, Action connected, CancellationToken cancellationToken)
    {
        using var call = _client.Subscribe(cancellationToken: cancellationToken);
        await call.RequestStream.WriteAsync(new SubscribeRequest
        {
            Open = new OpenFeed
            {
                MunicipalityCode = _options.MunicipalityCode ?? "",
                FromSequence = Volatile.Read(ref _replayFrom),
                MaxUnacknowledged = _options.MaxUnacknowledged,
            },
        }, cancellationToken);

        using var connection = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var writer = WriteAcknowledgementsAsync(call.RequestStream, connection.Token);
        try
        {
            await foreach (var response in call.ResponseStream.ReadAllAsync(cancellationToken))
            {
                switch (response.EventCase)
                {
                    case SubscribeResponse.EventOneofCase.Opened:
                        Volatile.Write(ref _replayFrom, 0);
                        Opened = response.Opened;
                        Connections++;
                        connected();
                        Connected?.Invoke(response.Opened);
                        ResendUnconfirmed();
                        break;
                    case SubscribeResponse.EventOneofCase.Notice:
                        if (Admit(response.Notice, handedOut) is { } admitted)
                        {
                            await notices.WriteAsync(admitted, cancellationToken);
                        }
                        break;
                    case SubscribeResponse.EventOneofCase.Acknowledged:
                        foreach (var sequence in response.Acknowledged.Sequences.Concat(response.Acknowledged.UnknownSequences))
                        {
                            if (_unconfirmed.TryRemove(sequence, out var confirmation))
                            {
                                confirmation.TrySetResult();
                            }
                        }
                        break;
                }
            }
        }
        finally
        {
            await connection.CancelAsync();
            await writer.ContinueWith(_ => { }, TaskScheduler.Default);
        }
        // The gateway ended the stream (shutting down): reconnect.
        throw new RpcException(new Status(StatusCode.Unavailable, "The gateway closed the stream."));
    }

    /// <summary>Null for a duplicate: one handed out already, or one acknowledged already (whose
    /// confirmation was lost; it is acknowledged again).</summary>
    private ReceivedNotice? Admit(Notice notice, RecentIds handedOut)
    {
        lock (_gate)
        {
            if (_acknowledged.Contains(notice.NoticeId))
            {
                DuplicatesFiltered++;
                _unconfirmed.GetOrAdd(notice.Sequence, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
                _acknowledgements.Writer.TryWrite(notice.Sequence);
                return null;
            }
            if (!handedOut.Add(notice.NoticeId))
            {
                DuplicatesFiltered++;
                return null;
            }
            return new ReceivedNotice(this, notice);
        }
    }

    private void ResendUnconfirmed()
    {
        foreach (var sequence in _unconfirmed.Keys)
        {
            _acknowledgements.Writer.TryWrite(sequence);
        }
    }

    private async Task WriteAcknowledgementsAsync(IClientStreamWriter<SubscribeRequest> requests, CancellationToken cancellationToken)
    {
        try
        {
            while (await _acknowledgements.Reader.WaitToReadAsync(cancellationToken))
            {
                var batch = new Acknowledge();
                while (batch.Sequences.Count < 1000 && _acknowledgements.Reader.TryRead(out var sequence))
                {
                    batch.Sequences.Add(sequence);
                }
                await requests.WriteAsync(new SubscribeRequest { Acknowledge = batch }, cancellationToken);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or RpcException or InvalidOperationException or IOException)
        {
            // The connection ended; unconfirmed acknowledgements are sent again on the next one.
        }
    }

    /// <summary>A bounded set of recent ids: the oldest is forgotten first.</summary>
    private sealed class RecentIds(int capacity)
    {
        private readonly HashSet<string> _ids = new(StringComparer.Ordinal);
        private readonly Queue<string> _order = new();

        public bool Contains(string id) => _ids.Contains(id);

        public bool Add(string id)
        {
            if (!_ids.Add(id))
            {
                return false;
            }
            _order.Enqueue(id);
            if (_order.Count > capacity)
            {
                _ids.Remove(_order.Dequeue());
            }
            return true;
        }
    }
}
