using ExchangeGateway.Client.Feed;
using ExchangeGateway.Contracts.V1;
using Grpc.Core;

namespace ExchangeGateway.Cli.Bench;

/// <summary>Subscribers on municipality feeds, each as a municipality's system would run it with the
/// SDK: read every notice, acknowledge it at once. ArrivalAnnounced notices are reported to the
/// current <see cref="NoticeTracker"/>.</summary>
internal sealed class MunicipalListeners(BenchConnections connections) : IAsyncDisposable
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
    public Task OpenAsync(BenchMunicipality municipality, uint window = 100)
    {
        var subscriber = connections.For(municipality.OrganisationId).Subscribe(new SubscriptionOptions
        {
            MunicipalityCode = municipality.Code,
            MaxUnacknowledged = window,
        });
        var opened = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        subscriber.Connected += _ => opened.TrySetResult();
        var loop = Task.Run(() => ListenAsync(subscriber, opened, _stop.Token));
        _loops.Add(loop);
        return opened.Task;
    }

    private async Task ListenAsync(NoticeSubscriber subscriber, TaskCompletionSource opened, CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var received in subscriber.ReadAllAsync(cancellationToken))
            {
                var now = System.Diagnostics.Stopwatch.GetTimestamp();
                Interlocked.Increment(ref _notices);
                var caseReference = received.Notice.PayloadCase == Notice.PayloadOneofCase.ArrivalAnnounced
                    ? received.Notice.ArrivalAnnounced.Details.CaseReference
                    : null;
                var tracker = Tracker;
                if (caseReference is not null)
                {
                    tracker?.OnReceived(caseReference, now);
                }
                _ = ConfirmAsync(received, caseReference, tracker, cancellationToken);
            }
        }
        catch (Exception e) when (e is OperationCanceledException || (e is RpcException rpc && rpc.StatusCode == StatusCode.Cancelled))
        {
        }
        catch (Exception e)
        {
            opened.TrySetException(e);
            throw;
        }
    }

    private static async Task ConfirmAsync(ReceivedNotice received, string? caseReference, NoticeTracker? tracker, CancellationToken cancellationToken)
    {
        try
        {
            await received.AcknowledgeAsync(cancellationToken);
            if (caseReference is not null)
            {
                tracker?.OnConfirmed(caseReference);
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
}
