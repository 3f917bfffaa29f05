using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ExchangeGateway.Server.Webhooks;

/// <summary>Runs one <see cref="WebhookDelivery"/> per webhook subscription in the organisation
/// registry, on every instance (with several instances only the feed's lease holder is given notices,
/// as with streams). A registry reload starts, stops or replaces deliveries whose subscription changed.</summary>
internal sealed partial class WebhookDispatcher(
    FileBackedValue<OrganisationRegistry> registry,
    WebhookServices services,
    ILogger<WebhookDispatcher> logger) : BackgroundService, IReloadObserver
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Running> _running = new(StringComparer.Ordinal);
    private CancellationToken _stopping = new(canceled: true);
    private string? _reportedMissing;

    /// <summary>The deliveries running in this instance.</summary>
    public IReadOnlyList<WebhookDelivery> Deliveries
    {
        get
        {
            lock (_gate)
            {
                return [.. _running.Values.Select(r => r.Delivery)];
            }
        }
    }

    public WebhookDelivery? Find(string feed)
    {
        lock (_gate)
        {
            return _running.GetValueOrDefault(feed)?.Delivery;
        }
    }

    public void OnReloaded() => Reconcile();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        lock (_gate)
        {
            _stopping = stoppingToken;
        }
        Reconcile();
        try
        {
            await Task.Delay(Timeout.Infinite, stoppingToken);
        }
        catch (OperationCanceledException)
        {
        }
        List<Running> stopping;
        lock (_gate)
        {
            stopping = [.. _running.Values];
            _running.Clear();
        }
        await Task.WhenAll(stopping.Select(r => r.StopAsync()));
    }

    private void Reconcile()
    {
        var wanted = registry.Current.Webhooks.ToDictionary(w => w.Endpoint.Feed, StringComparer.Ordinal);
        var stopped = new List<Running>();
        lock (_gate)
        {
            if (_stopping.IsCancellationRequested)
            {
                return;
            }
            foreach (var (feed, running) in _running.ToList())
            {
                if (!wanted.TryGetValue(feed, out var now) || !Same(running.Delivery, now.Organisation, now.Endpoint))
                {
                    _running.Remove(feed);
                    stopped.Add(running);
                }
            }
            if (wanted.Count > 0 && services.Transport.Missing is { } missing)
            {
                if (_reportedMissing != missing)
                {
                    _reportedMissing = missing;
                    LogNotConfigured(logger, wanted.Count, missing);
                }
            }
            else
            {
                foreach (var (feed, (organisation, endpoint)) in wanted)
                {
                    if (!_running.ContainsKey(feed))
                    {
                        _running[feed] = Running.Start(new WebhookDelivery(organisation, endpoint, services), _stopping);
                        LogStarted(logger, feed, endpoint.Url);
                    }
                }
            }
        }
        foreach (var running in stopped)
        {
            _ = running.StopAsync();
        }
    }

    private static bool Same(WebhookDelivery delivery, Organisation organisation, WebhookEndpoint endpoint) =>
        delivery.Organisation.Id == organisation.Id
        && delivery.Organisation.Oins.SequenceEqual(organisation.Oins)
        && delivery.Endpoint.Url == endpoint.Url
        && delivery.Endpoint.Concurrency == endpoint.Concurrency
        && delivery.Endpoint.Content == endpoint.Content
        && delivery.Endpoint.Secret.AsSpan().SequenceEqual(endpoint.Secret);

    private sealed class Running(WebhookDelivery delivery, CancellationTokenSource cancellation, Task task)
    {
        public WebhookDelivery Delivery { get; } = delivery;

        public static Running Start(WebhookDelivery delivery, CancellationToken stopping)
        {
            var cancellation = CancellationTokenSource.CreateLinkedTokenSource(stopping);
            return new Running(delivery, cancellation, Task.Run(() => delivery.RunAsync(cancellation.Token), CancellationToken.None));
        }

        public async Task StopAsync()
        {
            await cancellation.CancelAsync();
            await task;
            await Delivery.DisposeAsync();
            cancellation.Dispose();
        }
    }

    [LoggerMessage(EventId = 14005, Level = LogLevel.Information, Message = "Webhook delivery of feed {Feed} to {Url} started.")]
    private static partial void LogStarted(ILogger logger, string feed, Uri url);

    [LoggerMessage(EventId = 14006, Level = LogLevel.Error, Message = "The registry lists {Count} webhook subscriptions, but none is delivered: {Missing}.")]
    private static partial void LogNotConfigured(ILogger logger, int count, string missing);
}
