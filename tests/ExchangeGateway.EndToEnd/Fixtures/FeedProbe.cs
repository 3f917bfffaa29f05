using System.Runtime.ExceptionServices;
using System.Threading.Channels;
using ExchangeGateway.Client;
using ExchangeGateway.Client.Feed;
using ExchangeGateway.Contracts.V1;

namespace ExchangeGateway.EndToEnd.Fixtures;

/// <summary>Reads an organisation's feed through the SDK's <see cref="NoticeSubscriber"/> in the
/// background, so a test can wait for a particular notice with a timeout (and fail with what it did
/// see) instead of sleeping.</summary>
public sealed class FeedProbe : IAsyncDisposable
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    private readonly Channel<ReceivedNotice> _received = Channel.CreateUnbounded<ReceivedNotice>();
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Notice> _seen = [];
    private readonly Lock _seenGate = new();
    private readonly TaskCompletionSource<FeedOpened> _opened = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Task _pump;
    private Exception? _failure;

    /// <param name="acknowledgeEverything">Acknowledge every notice as it arrives (and wait for the
    /// confirmation before handing it on), so the per-arrival hold-back never stalls the feed.</param>
    public FeedProbe(GatewayClient client, SubscriptionOptions? options = null, bool acknowledgeEverything = false)
    {
        Subscriber = client.Subscribe(options);
        Subscriber.Connected += opened => _opened.TrySetResult(opened);
        _pump = Task.Run(() => PumpAsync(acknowledgeEverything));
    }

    public NoticeSubscriber Subscriber { get; }

    /// <summary>Every notice handed out so far, in the order received.</summary>
    public IReadOnlyList<Notice> Seen
    {
        get
        {
            lock (_seenGate)
            {
                return [.. _seen];
            }
        }
    }

    /// <summary>The gateway's first FeedOpened on this subscriber.</summary>
    public Task<FeedOpened> OpenedAsync(TimeSpan? timeout = null) => _opened.Task.WaitAsync(timeout ?? DefaultTimeout);

    /// <summary>The next notice. Throws the stream's failure (e.g. an RpcException with
    /// PERMISSION_DENIED) if the subscriber gave up, or a TimeoutException.</summary>
    public async Task<ReceivedNotice> NextAsync(TimeSpan? timeout = null)
    {
        using var deadline = new CancellationTokenSource(timeout ?? DefaultTimeout);
        try
        {
            if (await _received.Reader.WaitToReadAsync(deadline.Token) && _received.Reader.TryRead(out var notice))
            {
                return notice;
            }
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            throw new TimeoutException($"No notice within {(timeout ?? DefaultTimeout).TotalSeconds} s. Seen so far: {Describe(Seen)}");
        }
        if (_failure is not null)
        {
            ExceptionDispatchInfo.Throw(_failure);
        }
        throw new InvalidOperationException("The feed ended without an error.");
    }

    /// <summary>Reads notices until one matches; the ones skipped stay in <see cref="Seen"/>.</summary>
    public async Task<ReceivedNotice> WaitForAsync(Func<Notice, bool> predicate, string what, TimeSpan? timeout = null)
    {
        var limit = timeout ?? DefaultTimeout;
        var until = DateTime.UtcNow + limit;
        while (true)
        {
            var left = until - DateTime.UtcNow;
            if (left <= TimeSpan.Zero)
            {
                throw new TimeoutException($"No notice '{what}' within {limit.TotalSeconds} s. Seen: {Describe(Seen)}");
            }
            ReceivedNotice notice;
            try
            {
                notice = await NextAsync(left);
            }
            catch (TimeoutException)
            {
                throw new TimeoutException($"No notice '{what}' within {limit.TotalSeconds} s. Seen: {Describe(Seen)}");
            }
            if (predicate(notice.Notice))
            {
                return notice;
            }
        }
    }

    /// <summary>Waits for a notice of <paramref name="type"/> about <paramref name="arrivalId"/>.</summary>
    public Task<ReceivedNotice> WaitForAsync(string type, string arrivalId, TimeSpan? timeout = null) =>
        WaitForAsync(n => n.Type == type && n.Subject == arrivalId, $"{type} about {arrivalId}", timeout);

    public static string Describe(IEnumerable<Notice> notices) =>
        "[" + string.Join(", ", notices.Select(n => $"#{n.Sequence} {n.Type} {n.Subject}")) + "]";

    private async Task PumpAsync(bool acknowledgeEverything)
    {
        try
        {
            await foreach (var notice in Subscriber.ReadAllAsync(_stop.Token))
            {
                lock (_seenGate)
                {
                    _seen.Add(notice.Notice);
                }
                if (acknowledgeEverything)
                {
                    await notice.AcknowledgeAsync(_stop.Token);
                }
                _received.Writer.TryWrite(notice);
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            _failure = e;
            _opened.TrySetException(e);
        }
        finally
        {
            _received.Writer.TryComplete();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _pump;
        _stop.Dispose();
    }
}
