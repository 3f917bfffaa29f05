using ExchangeGateway.Client;
using ExchangeGateway.Client.Feed;
using ExchangeGateway.Contracts.V1;
using Grpc.Core;

namespace ExchangeGateway.Cli.Soak;

/// <summary>Reads one feed in the background through the SDK's <see cref="NoticeSubscriber"/> (which
/// reconnects and filters duplicates by notice_id), acknowledges every notice as soon as it is handed
/// out, and records what it saw: per sequence and per (type, subject) the notice ids, so that a run
/// can check that every notice came under exactly one id and the feed has no gaps.</summary>
internal sealed class FeedCollector : IAsyncDisposable
{
    private readonly GatewayClient _client;
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _gate = new();
    private readonly Dictionary<ulong, HashSet<string>> _idsBySequence = [];
    private readonly Dictionary<(string Type, string Subject), HashSet<string>> _idsBySubject = [];
    private readonly Task _pump;
    private long _handedOut;
    private long _redelivered;
    private long _unconfirmed;
    private Exception? _failure;

    /// <param name="client">The feed owner's client; the collector disposes it.</param>
    /// <param name="feed">The feed's name, for reports.</param>
    /// <param name="municipalityCode">The code whose feed to open, for a municipal organisation.</param>
    /// <param name="options">Window and reconnection delays; quick reconnections by default.</param>
    public FeedCollector(GatewayClient client, string feed, string? municipalityCode, SubscriptionOptions? options = null)
    {
        _client = client;
        Feed = feed;
        MunicipalityCode = municipalityCode;
        Subscriber = client.Subscribe(new SubscriptionOptions
        {
            MunicipalityCode = municipalityCode,
            MaxUnacknowledged = options?.MaxUnacknowledged ?? 200,
            ReconnectBaseDelay = options?.ReconnectBaseDelay ?? TimeSpan.FromMilliseconds(100),
            ReconnectMaxDelay = options?.ReconnectMaxDelay ?? TimeSpan.FromSeconds(1),
        });
        _pump = Task.Run(PumpAsync);
    }

    /// <summary>The feed's name: "coa", "ind" or "municipality:&lt;code&gt;".</summary>
    public string Feed { get; }

    public string? MunicipalityCode { get; }

    public NoticeSubscriber Subscriber { get; }

    /// <summary>Notices handed out by the subscriber (after its duplicate filter).</summary>
    public long HandedOut => Interlocked.Read(ref _handedOut);

    /// <summary>Notices handed out whose redelivery_count was above 0.</summary>
    public long Redelivered => Interlocked.Read(ref _redelivered);

    /// <summary>Acknowledgements sent whose confirmation has not come yet.</summary>
    public long Unconfirmed => Interlocked.Read(ref _unconfirmed);

    /// <summary>Why the subscriber gave up, if it did (it should not: it reconnects).</summary>
    public Exception? Failure => _failure;

    /// <summary>The notice ids that carried a notice of <paramref name="type"/> about <paramref name="subject"/>.</summary>
    public IReadOnlyCollection<string> IdsFor(string type, string subject)
    {
        lock (_gate)
        {
            return _idsBySubject.TryGetValue((type, subject), out var ids) ? [.. ids] : [];
        }
    }

    /// <summary>Every sequence handed out, with the notice ids it came under.</summary>
    public IReadOnlyDictionary<ulong, IReadOnlyCollection<string>> Sequences()
    {
        lock (_gate)
        {
            return _idsBySequence.ToDictionary(s => s.Key, s => (IReadOnlyCollection<string>)[.. s.Value]);
        }
    }

    /// <summary>Opens the feed once more on a stream of its own and returns the gateway's
    /// <see cref="FeedOpened"/> (head sequence and unacknowledged count), then closes that stream.</summary>
    public async Task<FeedOpened> OpenOnceAsync(CancellationToken cancellationToken)
    {
        var feeds = new NoticeFeed.NoticeFeedClient(_client.Channel);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                using var call = feeds.Subscribe(deadline: DateTime.UtcNow.AddSeconds(30), cancellationToken: cancellationToken);
                await call.RequestStream.WriteAsync(new SubscribeRequest { Open = new OpenFeed { MunicipalityCode = MunicipalityCode ?? "" } }, cancellationToken);
                if (!await call.ResponseStream.MoveNext(cancellationToken) || call.ResponseStream.Current.Opened is not { } opened)
                {
                    throw new InvalidOperationException($"Feed {Feed} did not start with FeedOpened.");
                }
                await call.RequestStream.CompleteAsync();
                return opened;
            }
            catch (RpcException e) when (attempt < 5 && e.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(200 * attempt), cancellationToken);
            }
        }
    }

    private async Task PumpAsync()
    {
        try
        {
            await foreach (var received in Subscriber.ReadAllAsync(_stop.Token))
            {
                var notice = received.Notice;
                lock (_gate)
                {
                    Ids(_idsBySequence, notice.Sequence).Add(notice.NoticeId);
                    Ids(_idsBySubject, (notice.Type, notice.Subject)).Add(notice.NoticeId);
                }
                Interlocked.Increment(ref _handedOut);
                if (notice.RedeliveryCount > 0)
                {
                    Interlocked.Increment(ref _redelivered);
                }
                Interlocked.Increment(ref _unconfirmed);
                _ = ConfirmAsync(received);
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
        catch (Exception exception) when (exception is RpcException or IOException or HttpRequestException or InvalidOperationException)
        {
            _failure = exception;
        }
    }

    /// <summary>Acknowledges without holding up the stream; the subscriber batches acknowledgements and
    /// sends unconfirmed ones again after a reconnection.</summary>
    private async Task ConfirmAsync(ReceivedNotice received)
    {
        try
        {
            await received.AcknowledgeAsync(_stop.Token);
            Interlocked.Decrement(ref _unconfirmed);
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
    }

    private static HashSet<string> Ids<TKey>(Dictionary<TKey, HashSet<string>> map, TKey key)
        where TKey : notnull
    {
        if (!map.TryGetValue(key, out var ids))
        {
            ids = new HashSet<string>(StringComparer.Ordinal);
            map[key] = ids;
        }
        return ids;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _pump;
        _stop.Dispose();
        _client.Dispose();
    }
}
