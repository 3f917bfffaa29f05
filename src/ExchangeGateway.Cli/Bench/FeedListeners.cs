using ExchangeGateway.Client.Feed;
using ExchangeGateway.Contracts.V1;
using Grpc.Core;

namespace ExchangeGateway.Cli.Bench;

/// <summary>Subscribers on feeds, each as the organisation's system would run it with the SDK: read
/// every notice, acknowledge it at once. What an announcement causes is reported to the current
/// <see cref="NoticeTracker"/>: the municipality's ArrivalAnnounced (received, then confirmed), the
/// IND's TravellersAnnounced and COA's AnnouncementReceived (confirmed).</summary>
internal sealed class FeedListeners(BenchConnections connections) : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _loops = [];
    private NoticeTracker? _tracker;
    private long _notices;

    public long Notices => Interlocked.Read(ref _notices);

    public int Streams => _loops.Count;

    public NoticeTracker? Tracker
    {
        get => Volatile.Read(ref _tracker);
        set => Volatile.Write(ref _tracker, value);
    }

    /// <summary>Opens one more stream on the municipality's feed; the task completes when the gateway
    /// answered FeedOpened.</summary>
    public Task OpenAsync(BenchMunicipality municipality, uint window = 100) =>
        OpenAsync(municipality.OrganisationId, municipality.Code, window).Opened;

    /// <summary>Opens the feed of COA or the IND; completes once the backlog it found on opening is acknowledged.</summary>
    public async Task OpenCaughtUpAsync(string organisationId, uint window = 1000)
    {
        var listener = OpenAsync(organisationId, null, window);
        var opened = await listener.Opened;
        while (Interlocked.Read(ref listener.Acknowledged) < (long)opened.UnacknowledgedCount)
        {
            await Task.Delay(50, _stop.Token);
        }
    }

    private Listener OpenAsync(string organisationId, string? municipalityCode, uint window)
    {
        var subscriber = connections.For(organisationId).Subscribe(new SubscriptionOptions
        {
            MunicipalityCode = municipalityCode,
            MaxUnacknowledged = window,
        });
        var listener = new Listener();
        subscriber.Connected += opened => listener.OpenedSource.TrySetResult(opened);
        _loops.Add(Task.Run(() => ListenAsync(subscriber, listener, _stop.Token)));
        return listener;
    }

    private async Task ListenAsync(NoticeSubscriber subscriber, Listener listener, CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var received in subscriber.ReadAllAsync(cancellationToken))
            {
                var now = System.Diagnostics.Stopwatch.GetTimestamp();
                Interlocked.Increment(ref _notices);
                var tracker = Tracker;
                if (received.Notice.PayloadCase == Notice.PayloadOneofCase.ArrivalAnnounced)
                {
                    tracker?.OnReceived(received.Notice.ArrivalAnnounced.Details.CaseReference, now);
                }
                _ = ConfirmAsync(received, listener, tracker, cancellationToken);
            }
        }
        catch (Exception e) when (e is OperationCanceledException || (e is RpcException rpc && rpc.StatusCode == StatusCode.Cancelled))
        {
        }
        catch (Exception e)
        {
            listener.OpenedSource.TrySetException(e);
            throw;
        }
    }

    private static async Task ConfirmAsync(ReceivedNotice received, Listener listener, NoticeTracker? tracker, CancellationToken cancellationToken)
    {
        try
        {
            await received.AcknowledgeAsync(cancellationToken);
            Interlocked.Increment(ref listener.Acknowledged);
            var notice = received.Notice;
            switch (notice.PayloadCase)
            {
                case Notice.PayloadOneofCase.ArrivalAnnounced:
                    tracker?.OnConfirmed(notice.ArrivalAnnounced.Details.CaseReference);
                    break;
                case Notice.PayloadOneofCase.TravellersAnnounced:
                    tracker?.OnIndConfirmed(notice.TravellersAnnounced.ArrivalId);
                    break;
                case Notice.PayloadOneofCase.AnnouncementReceived:
                    tracker?.OnCoaConfirmed(notice.AnnouncementReceived.CaseReference);
                    break;
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_loops.Select(l => l.ContinueWith(_ => { }, TaskScheduler.Default)));
        _stop.Dispose();
    }

    private sealed class Listener
    {
        public long Acknowledged;

        public TaskCompletionSource<FeedOpened> OpenedSource { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task<FeedOpened> Opened => OpenedSource.Task;
    }
}
