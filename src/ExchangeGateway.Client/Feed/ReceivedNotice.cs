using ExchangeGateway.Contracts.V1;

namespace ExchangeGateway.Client.Feed;

/// <summary>A notice handed to the application. Acknowledge it once it is durably taken in; until
/// then the gateway redelivers it (the subscriber filters those duplicates).</summary>
public sealed class ReceivedNotice
{
    private readonly NoticeSubscriber _subscriber;

    internal ReceivedNotice(NoticeSubscriber subscriber, Notice notice)
    {
        _subscriber = subscriber;
        Notice = notice;
    }

    public Notice Notice { get; }

    /// <summary>Acknowledges the notice; completes when the gateway has made the acknowledgement
    /// durable (it survives a restart of either side). Safe to call more than once.</summary>
    public Task AcknowledgeAsync(CancellationToken cancellationToken = default) => _subscriber.AcknowledgeAsync(Notice, cancellationToken);
}
