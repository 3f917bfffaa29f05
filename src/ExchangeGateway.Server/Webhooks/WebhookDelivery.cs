using System.Globalization;
using System.Net;
using ExchangeGateway.Contracts.V1;
using ExchangeGateway.Server.Audit;
using ExchangeGateway.Server.Feed;
using ExchangeGateway.Server.Observability;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.Retry;

namespace ExchangeGateway.Server.Webhooks;

/// <summary>One webhook subscription: a consumer of its feed's engine like a stream, whose window is
/// the subscription's concurrency, so every promise of the feed holds for it too (per-arrival order,
/// redelivery, one holder at a time, the lease with several instances). Each notice it is given is
/// posted until the receiver answers 2xx, which is its acknowledgement, made durable by the same
/// writer as a stream's. 5xx, 408, 429, timeouts and connection failures are retried with capped
/// exponential backoff and jitter (Polly), honouring <c>Retry-After</c>; every retry reads the notice
/// again, so one acknowledged meanwhile elsewhere is not sent again and one retention erased is sent
/// redacted. Any other answer parks the notice (see <see cref="WebhookParking"/>).</summary>
internal sealed partial class WebhookDelivery : IAsyncDisposable
{
    private static readonly TimeSpan RestartDelay = TimeSpan.FromSeconds(1);

    private readonly Lock _gate = new();
    private readonly HashSet<long> _inFlight = [];
    private readonly HashSet<long> _parked = [];
    private readonly HashSet<Task> _posting = [];
    private readonly WebhookServices _services;
    private readonly Caller _caller;
    private readonly SemaphoreSlim _requests;
    private readonly ResiliencePipeline<AttemptResult> _retries;
    private readonly KeyValuePair<string, object?> _kind;
    private WebhookAttempt? _lastAttempt;
    private uint _failures;
    private FeedSubscription? _subscription;
    private CancellationToken _stopping;

    public WebhookDelivery(Organisation organisation, WebhookEndpoint endpoint, WebhookServices services)
    {
        Organisation = organisation;
        Endpoint = endpoint;
        _services = services;
        _caller = new Caller(organisation, organisation.Oins[0]);
        var options = services.Options;
        Concurrency = Math.Min(endpoint.Concurrency ?? options.DefaultConcurrency, options.MaxConcurrency);
        _requests = new SemaphoreSlim(Concurrency);
        _kind = GatewayMetrics.FeedKindTag(endpoint.Feed);
        _retries = new ResiliencePipelineBuilder<AttemptResult> { TimeProvider = services.Time }
            .AddRetry(new RetryStrategyOptions<AttemptResult>
            {
                ShouldHandle = static args => ValueTask.FromResult(args.Outcome.Result?.Kind == AttemptKind.Retry),
                MaxRetryAttempts = int.MaxValue,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = options.FirstRetryDelay,
                MaxDelay = options.MaxRetryDelay,
                // The receiver's Retry-After wins over the backoff, within the cap.
                DelayGenerator = args => ValueTask.FromResult(args.Outcome.Result?.RetryAfter is { } after
                    ? (TimeSpan?)(after < options.MaxRetryDelay ? after : options.MaxRetryDelay)
                    : null),
            })
            .Build();
    }

    public Organisation Organisation { get; }

    public WebhookEndpoint Endpoint { get; }

    public int Concurrency { get; }

    /// <summary>What <c>ListWebhookSubscriptions</c> shows of this instance's attempts.</summary>
    public (WebhookAttempt? Last, uint Failures) Status
    {
        get
        {
            lock (_gate)
            {
                return (_lastAttempt?.Clone(), _failures);
            }
        }
    }

    /// <summary>Runs until <paramref name="stopping"/>: attaches to the feed, posts what it is given,
    /// and attaches again if the subscription ends (its acknowledgements could not be stored).</summary>
    public async Task RunAsync(CancellationToken stopping)
    {
        _stopping = stopping;
        while (!stopping.IsCancellationRequested)
        {
            var engine = _services.Hub.Engine(Endpoint.Feed);
            FeedSubscription? subscription = null;
            try
            {
                var parked = await _services.Parking.ParkedAsync(Endpoint.Feed, stopping);
                lock (_gate)
                {
                    _parked.Clear();
                    _parked.UnionWith(parked);
                }
                subscription = engine.Attach(Concurrency, fromSequence: 0, _caller,
                    AuditScope.ForWebhook(_services.AuditKey, _caller, _services.Time.GetUtcNow().UtcDateTime));
                Volatile.Write(ref _subscription, subscription);
                await PumpAsync(subscription, stopping);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception exception)
            {
                LogDeliveryRestarting(_services.Logger, Endpoint.Feed, exception);
            }
            finally
            {
                if (subscription is not null)
                {
                    engine.Detach(subscription);
                }
            }
            await Task.Delay(RestartDelay, _services.Time, stopping).ContinueWith(static _ => { }, TaskScheduler.Default);
        }
    }

    /// <summary>The operator released these parked notices: post the ones this instance holds now
    /// (the others come back with the feed's next redelivery).</summary>
    public void Released(IEnumerable<long> sequences)
    {
        List<long> start = [];
        lock (_gate)
        {
            foreach (var sequence in sequences)
            {
                if (_parked.Remove(sequence) && _inFlight.Add(sequence))
                {
                    start.Add(sequence);
                }
            }
        }
        if (Volatile.Read(ref _subscription) is { } subscription)
        {
            foreach (var sequence in start)
            {
                Track(DeliverAsync(subscription, sequence, first: null, _stopping));
            }
        }
    }

    private async Task PumpAsync(FeedSubscription subscription, CancellationToken stopping)
    {
        while (true)
        {
            stopping.ThrowIfCancellationRequested();
            if (subscription.Ended.IsCompleted)
            {
                throw await subscription.Ended;
            }
            if (subscription.TakeNext() is not { } message)
            {
                await Task.WhenAny(subscription.WaitAsync(stopping).AsTask(), subscription.Ended);
                continue;
            }
            if (!message.IsNotice)
            {
                continue; // the confirmation of an acknowledgement this delivery made
            }
            subscription.Engine.Written(subscription);
            var notice = message.ToResponse().Notice;
            var sequence = (long)notice.Sequence;
            bool parked;
            lock (_gate)
            {
                parked = _parked.Contains(sequence);
                if (!parked && !_inFlight.Add(sequence))
                {
                    continue; // redelivered by the engine while its retries still run here
                }
            }
            (message.IsRedelivery ? _services.Metrics.NoticesRedelivered : _services.Metrics.NoticesDelivered).Add(1, _kind);
            if (parked)
            {
                // Released on another instance? Its row says so; else it stays parked here.
                Track(RecheckParkedAsync(subscription, sequence, stopping));
                continue;
            }
            Track(DeliverAsync(subscription, sequence, notice, stopping));
        }
    }

    /// <summary>Keeps the posting tasks, so that stopping waits for them (none outlives the delivery).</summary>
    private void Track(Task posting)
    {
        lock (_gate)
        {
            _posting.Add(posting);
        }
        _ = posting.ContinueWith(done =>
        {
            lock (_gate)
            {
                _posting.Remove(done);
            }
        }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    /// <summary>After <see cref="RunAsync"/> ended: waits for the posts still running (they end with
    /// its cancellation) and frees what they used.</summary>
    public async ValueTask DisposeAsync()
    {
        Task[] posting;
        lock (_gate)
        {
            posting = [.. _posting];
        }
        try
        {
            await Task.WhenAll(posting);
        }
        catch (OperationCanceledException)
        {
        }
        _requests.Dispose();
    }

    private async Task RecheckParkedAsync(FeedSubscription subscription, long sequence, CancellationToken stopping)
    {
        try
        {
            if (await _services.Parking.ReadAsync(Endpoint.Feed, sequence, stopping) is { Parked: false, Acknowledged: false })
            {
                Released([sequence]);
            }
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            LogReadFailed(_services.Logger, Endpoint.Feed, sequence, exception);
        }
    }

    /// <summary>Posts one notice until it is acknowledged, parked, or the gateway stops.</summary>
    private async Task DeliverAsync(FeedSubscription subscription, long sequence, Notice? first, CancellationToken stopping)
    {
        await Task.Yield();
        try
        {
            var outcome = await _retries.ExecuteAsync(async (state, token) =>
            {
                var notice = Interlocked.Exchange(ref state.First, null);
                if (notice is null)
                {
                    // A retry: what is stored now (redacted if retention erased it; maybe acknowledged elsewhere).
                    var stored = await _services.Parking.ReadAsync(Endpoint.Feed, sequence, token);
                    if (stored is null || stored.Acknowledged || stored.Parked)
                    {
                        return AttemptResult.Settled;
                    }
                    notice = Notice.Parser.ParseFrom(stored.Body);
                    notice.Sequence = (ulong)sequence;
                }
                await _requests.WaitAsync(token);
                try
                {
                    return Record(sequence, await PostAsync(notice, token));
                }
                finally
                {
                    _requests.Release();
                }
            }, new AttemptState(first), stopping);

            if (outcome.Kind == AttemptKind.Delivered)
            {
                await _services.Acknowledgements.SubmitAsync(subscription, [sequence], stopping);
            }
            else if (outcome.Kind == AttemptKind.Park)
            {
                lock (_gate)
                {
                    _parked.Add(sequence);
                }
                var escalated = await _services.Parking.ParkAsync(_services.Gateway, Endpoint, Organisation.Id, sequence, outcome.Outcome, stopping);
                LogParked(_services.Logger, Endpoint.Feed, sequence, outcome.Outcome, escalated);
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
        catch (Exception exception)
        {
            // Storage trouble while parking or reading: the notice stays unacknowledged and comes back
            // with the feed's redelivery.
            LogReadFailed(_services.Logger, Endpoint.Feed, sequence, exception);
        }
        finally
        {
            lock (_gate)
            {
                _inFlight.Remove(sequence);
            }
        }
    }

    private async Task<AttemptResult> PostAsync(Notice notice, CancellationToken stopping)
    {
        var body = WebhookEvents.Encode(notice, Endpoint.Content, _services.Options.PublicBaseUrl);
        var timestamp = _services.Time.GetUtcNow().ToUnixTimeSeconds();
        using var request = new HttpRequestMessage(HttpMethod.Post, Endpoint.Url)
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionOrLower,
            Content = new ByteArrayContent(body),
        };
        request.Content.Headers.TryAddWithoutValidation("Content-Type", WebhookEvents.ContentType);
        request.Headers.TryAddWithoutValidation("webhook-id", notice.NoticeId);
        request.Headers.TryAddWithoutValidation("webhook-timestamp", timestamp.ToString(CultureInfo.InvariantCulture));
        request.Headers.TryAddWithoutValidation("webhook-signature", WebhookSecret.Sign(Endpoint.Secret, notice.NoticeId, timestamp, body));
        request.Headers.UserAgent.ParseAdd("ExchangeGateway-Webhooks/1");
        using var limit = new CancellationTokenSource(_services.Options.RequestTimeout, _services.Time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(limit.Token, stopping);
        try
        {
            using var response = await _services.Transport.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, linked.Token);
            return AttemptResult.Of(response, _services.Time.GetUtcNow());
        }
        catch (OperationCanceledException) when (!stopping.IsCancellationRequested)
        {
            return AttemptResult.Failed($"no answer within {_services.Options.RequestTimeout.TotalSeconds:0.###} s");
        }
        catch (HttpRequestException exception)
        {
            return exception.InnerException is WebhookAddressRefusedException refused
                ? AttemptResult.Refused(refused.Message)
                : AttemptResult.Failed(exception.HttpRequestError == HttpRequestError.Unknown ? exception.Message : exception.HttpRequestError.ToString());
        }
    }

    private AttemptResult Record(long sequence, AttemptResult result)
    {
        var outcome = result.Kind switch
        {
            AttemptKind.Delivered => "delivered",
            AttemptKind.Park => "parked",
            _ when result.Refusal => "refused",
            _ => "retried",
        };
        _services.Metrics.WebhookAttempts.Add(1, _kind, new KeyValuePair<string, object?>("outcome", outcome));
        lock (_gate)
        {
            _failures = result.Kind == AttemptKind.Delivered ? 0 : _failures + 1;
            _lastAttempt = new WebhookAttempt
            {
                At = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(_services.Time.GetUtcNow()),
                Sequence = (ulong)sequence,
                HttpStatus = (uint)result.Status,
                Outcome = result.Kind switch
                {
                    AttemptKind.Delivered => "delivered",
                    AttemptKind.Park => "parked: " + result.Outcome,
                    _ => (result.Refusal ? "refused, retrying: " : "retrying: ") + result.Outcome,
                },
            };
        }
        if (result.Kind == AttemptKind.Retry)
        {
            LogAttemptFailed(_services.Logger, Endpoint.Feed, sequence, result.Outcome);
        }
        return result;
    }

    private sealed class AttemptState(Notice? first)
    {
        public Notice? First = first;
    }

    [LoggerMessage(EventId = 14001, Level = LogLevel.Warning, Message = "Webhook of feed {Feed}: notice #{Sequence} not delivered ({Outcome}); retrying.")]
    private static partial void LogAttemptFailed(ILogger logger, string feed, long sequence, string outcome);

    [LoggerMessage(EventId = 14002, Level = LogLevel.Error, Message = "Webhook of feed {Feed}: notice #{Sequence} refused by the receiver ({Outcome}); parked until an operator retries it (escalation raised: {Escalated}).")]
    private static partial void LogParked(ILogger logger, string feed, long sequence, string outcome, bool escalated);

    [LoggerMessage(EventId = 14003, Level = LogLevel.Warning, Message = "Webhook of feed {Feed}: notice #{Sequence} could not be read or parked; it comes back with the next redelivery.")]
    private static partial void LogReadFailed(ILogger logger, string feed, long sequence, Exception exception);

    [LoggerMessage(EventId = 14004, Level = LogLevel.Warning, Message = "Webhook delivery of feed {Feed} stopped; attaching again shortly.")]
    private static partial void LogDeliveryRestarting(ILogger logger, string feed, Exception exception);
}
