using ExchangeGateway.Server.Audit;
using ExchangeGateway.Server.Feed;
using ExchangeGateway.Server.Observability;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ExchangeGateway.Server.Webhooks;

/// <summary>What every <see cref="WebhookDelivery"/> uses, in one place.</summary>
internal sealed class WebhookServices(
    FeedHub hub,
    AcknowledgementWriter acknowledgements,
    WebhookTransport transport,
    WebhookParking parking,
    AuditKey auditKey,
    GatewayMetrics metrics,
    TimeProvider time,
    IOptions<GatewayOptions> options,
    ILogger<WebhookDelivery> logger)
{
    public FeedHub Hub { get; } = hub;

    public AcknowledgementWriter Acknowledgements { get; } = acknowledgements;

    public WebhookTransport Transport { get; } = transport;

    public WebhookParking Parking { get; } = parking;

    public AuditKey AuditKey { get; } = auditKey;

    public GatewayMetrics Metrics { get; } = metrics;

    public TimeProvider Time { get; } = time;

    public WebhookOptions Options { get; } = options.Value.Webhooks;

    public Caller Gateway { get; } = Caller.Gateway(options.Value.GatewayOin);

    public ILogger Logger { get; } = logger;
}
