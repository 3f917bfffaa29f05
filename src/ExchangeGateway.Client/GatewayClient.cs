using ExchangeGateway.Client.Connection;
using ExchangeGateway.Client.Feed;
using ExchangeGateway.Client.Resilience;
using ExchangeGateway.Contracts.V1;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Grpc.Net.Client;
using Polly;

namespace ExchangeGateway.Client;

/// <summary>A typed client for every gateway service. Each mutating call gets one request_id (or the
/// caller's) and keeps it on every retry, so a retry after a lost answer never stores twice.</summary>
public sealed class GatewayClient : IDisposable
{
    private readonly GrpcChannel _channel;
    private readonly ResiliencePipeline _pipeline;
    private readonly GatewayResilienceOptions _resilience;
    private readonly ArrivalService.ArrivalServiceClient _arrivals;
    private readonly MunicipalityService.MunicipalityServiceClient _municipality;
    private readonly IndService.IndServiceClient _ind;
    private readonly ChainService.ChainServiceClient _chain;
    private readonly GatewayService.GatewayServiceClient _gateway;
    private readonly WebhookService.WebhookServiceClient _webhooks;

    public GatewayClient(GrpcChannel channel, GatewayResilienceOptions? resilience = null, TimeProvider? time = null)
    {
        _channel = channel ?? throw new ArgumentNullException(nameof(channel));
        _resilience = resilience ?? new GatewayResilienceOptions();
        _pipeline = GatewayResilience.CreatePipeline(_resilience, time);
        _arrivals = new ArrivalService.ArrivalServiceClient(channel);
        _municipality = new MunicipalityService.MunicipalityServiceClient(channel);
        _ind = new IndService.IndServiceClient(channel);
        _chain = new ChainService.ChainServiceClient(channel);
        _gateway = new GatewayService.GatewayServiceClient(channel);
        _webhooks = new WebhookService.WebhookServiceClient(channel);
    }

    public GatewayClient(GatewayConnectionOptions connection, GatewayResilienceOptions? resilience = null)
        : this(GatewayChannel.Create(connection), resilience)
    {
    }

    public GrpcChannel Channel => _channel;

    public static string NewRequestId() => Guid.CreateVersion7().ToString();

    // ArrivalService (COA)

    public async Task<Arrival> AnnounceArrivalAsync(ArrivalDetails arrival, string? requestId = null, CancellationToken cancellationToken = default)
    {
        var request = new AnnounceArrivalRequest { RequestId = requestId ?? NewRequestId(), Arrival = arrival };
        return (await CallAsync(o => _arrivals.AnnounceArrivalAsync(request, o), cancellationToken)).Arrival;
    }

    public async Task<Arrival> AmendArrivalAsync(string arrivalId, ArrivalDetails arrival, long expectedVersion = 0, string? requestId = null, CancellationToken cancellationToken = default)
    {
        var request = new AmendArrivalRequest { RequestId = requestId ?? NewRequestId(), ArrivalId = arrivalId, Arrival = arrival, ExpectedVersion = expectedVersion };
        return (await CallAsync(o => _arrivals.AmendArrivalAsync(request, o), cancellationToken)).Arrival;
    }

    public async Task<Arrival> CancelArrivalAsync(string arrivalId, string reason, string? requestId = null, CancellationToken cancellationToken = default)
    {
        var request = new CancelArrivalRequest { RequestId = requestId ?? NewRequestId(), ArrivalId = arrivalId, Reason = reason };
        return (await CallAsync(o => _arrivals.CancelArrivalAsync(request, o), cancellationToken)).Arrival;
    }

    public async Task<Arrival> ReportDepartureAsync(string arrivalId, DateTimeOffset? departedAt = null, string? requestId = null, CancellationToken cancellationToken = default)
    {
        var request = new ReportDepartureRequest { RequestId = requestId ?? NewRequestId(), ArrivalId = arrivalId, DepartedAt = ToTimestamp(departedAt) };
        return (await CallAsync(o => _arrivals.ReportDepartureAsync(request, o), cancellationToken)).Arrival;
    }

    public async Task<Arrival> ReportTravellersArrivedAsync(string arrivalId, DateTimeOffset? arrivedAt = null, string? requestId = null, CancellationToken cancellationToken = default)
    {
        var request = new ReportTravellersArrivedRequest { RequestId = requestId ?? NewRequestId(), ArrivalId = arrivalId, ArrivedAt = ToTimestamp(arrivedAt) };
        return (await CallAsync(o => _arrivals.ReportTravellersArrivedAsync(request, o), cancellationToken)).Arrival;
    }

    public async Task<Arrival> GetArrivalAsync(string arrivalId, CancellationToken cancellationToken = default) =>
        (await CallAsync(o => _arrivals.GetArrivalAsync(new GetArrivalRequest { ArrivalId = arrivalId }, o), cancellationToken)).Arrival;

    public Task<ListArrivalsResponse> ListArrivalsAsync(ListArrivalsRequest request, CancellationToken cancellationToken = default) =>
        CallAsync(o => _arrivals.ListArrivalsAsync(request, o), cancellationToken);

    // MunicipalityService

    public async Task<Arrival> ReportRegistrationAsync(string arrivalId, IEnumerable<TravellerRegistration> registrations, string? requestId = null, CancellationToken cancellationToken = default)
    {
        var request = new ReportRegistrationRequest { RequestId = requestId ?? NewRequestId(), ArrivalId = arrivalId };
        request.Registrations.AddRange(registrations);
        return (await CallAsync(o => _municipality.ReportRegistrationAsync(request, o), cancellationToken)).Arrival;
    }

    public async Task<Arrival> ReportBsnAssignedAsync(string arrivalId, IEnumerable<BsnAssignment> assignments, string? requestId = null, CancellationToken cancellationToken = default)
    {
        var request = new ReportBsnAssignedRequest { RequestId = requestId ?? NewRequestId(), ArrivalId = arrivalId };
        request.Assignments.AddRange(assignments);
        return (await CallAsync(o => _municipality.ReportBsnAssignedAsync(request, o), cancellationToken)).Arrival;
    }

    /// <summary>Grants (no reason) or refuses (with a reason) consent for an arrival awaiting it.</summary>
    public async Task<Arrival> DecideConsentAsync(string arrivalId, ConsentStatus decision, string? refusalReason = null, string? requestId = null, CancellationToken cancellationToken = default)
    {
        var request = new DecideConsentRequest { RequestId = requestId ?? NewRequestId(), ArrivalId = arrivalId, Decision = decision, RefusalReason = refusalReason ?? "" };
        return (await CallAsync(o => _municipality.DecideConsentAsync(request, o), cancellationToken)).Arrival;
    }

    /// <summary>Reports people who turned up in <paramref name="municipalityCode"/> (may be null when
    /// this organisation serves one code) on <paramref name="arrivedOn"/> without an announcement. The
    /// answer says per person only whether an open arrival to that municipality names them.</summary>
    public Task<ReportUnannouncedArrivalResponse> ReportUnannouncedArrivalAsync(IEnumerable<string> vNumbers, DateOnly arrivedOn, string? municipalityCode = null, string? note = null, string? requestId = null, CancellationToken cancellationToken = default)
    {
        var request = new ReportUnannouncedArrivalRequest
        {
            RequestId = requestId ?? NewRequestId(),
            MunicipalityCode = municipalityCode ?? "",
            ArrivedOn = new Date { Year = arrivedOn.Year, Month = arrivedOn.Month, Day = arrivedOn.Day },
            Note = note ?? "",
        };
        request.VNumbers.AddRange(vNumbers);
        return CallAsync(o => _municipality.ReportUnannouncedArrivalAsync(request, o), cancellationToken);
    }

    // IndService

    public Task<LookupTravellerResponse> LookupTravellerAsync(string vNumber, CancellationToken cancellationToken = default) =>
        CallAsync(o => _ind.LookupTravellerAsync(new LookupTravellerRequest { VNumber = vNumber }, o), cancellationToken);

    public async Task<TravellerRecord> ReportCheckInAsync(string vNumber, DateTimeOffset? checkedInAt = null, string? requestId = null, CancellationToken cancellationToken = default)
    {
        var request = new ReportCheckInRequest { RequestId = requestId ?? NewRequestId(), VNumber = vNumber, CheckedInAt = ToTimestamp(checkedInAt) };
        return (await CallAsync(o => _ind.ReportCheckInAsync(request, o), cancellationToken)).Record;
    }

    // ChainService (chain coordination; COA may read the overview)

    /// <summary>Counts per municipality and national totals; only <paramref name="municipalityCode"/> when given.</summary>
    public Task<GetOverviewResponse> GetOverviewAsync(string? municipalityCode = null, CancellationToken cancellationToken = default) =>
        CallAsync(o => _chain.GetOverviewAsync(new GetOverviewRequest { MunicipalityCode = municipalityCode ?? "" }, o), cancellationToken);

    public Task<ResolveEscalationResponse> ResolveEscalationAsync(string escalationId, string note, string? requestId = null, CancellationToken cancellationToken = default)
    {
        var request = new ResolveEscalationRequest { RequestId = requestId ?? NewRequestId(), EscalationId = escalationId, Note = note };
        return CallAsync(o => _chain.ResolveEscalationAsync(request, o), cancellationToken);
    }

    // WebhookService (chain coordination)

    /// <summary>The webhook subscriptions of the registry, with what is outstanding and parked.</summary>
    public Task<ListWebhookSubscriptionsResponse> ListWebhookSubscriptionsAsync(CancellationToken cancellationToken = default) =>
        CallAsync(o => _webhooks.ListWebhookSubscriptionsAsync(new ListWebhookSubscriptionsRequest(), o), cancellationToken);

    /// <summary>Sends the notices <paramref name="feed"/>'s receiver refused again; returns their sequences.</summary>
    public Task<RetryParkedNoticesResponse> RetryParkedNoticesAsync(string feed, string? requestId = null, CancellationToken cancellationToken = default)
    {
        var request = new RetryParkedNoticesRequest { RequestId = requestId ?? NewRequestId(), Feed = feed };
        return CallAsync(o => _webhooks.RetryParkedNoticesAsync(request, o), cancellationToken);
    }

    // GatewayService

    /// <summary>Who the gateway thinks this client is; touches no storage.</summary>
    public Task<PingResponse> PingAsync(CancellationToken cancellationToken = default) =>
        CallAsync(o => _gateway.PingAsync(new PingRequest(), o), cancellationToken);

    // NoticeFeed

    /// <summary>A subscriber on this organisation's feed; see <see cref="NoticeSubscriber"/>.</summary>
    public NoticeSubscriber Subscribe(SubscriptionOptions? options = null) => new(_channel, options ?? new SubscriptionOptions());

    private async Task<TResponse> CallAsync<TResponse>(Func<CallOptions, AsyncUnaryCall<TResponse>> call, CancellationToken cancellationToken) =>
        await _pipeline.ExecuteAsync(
            async token => await call(new CallOptions(deadline: DateTime.UtcNow + _resilience.AttemptTimeout, cancellationToken: token)),
            cancellationToken);

    private static Timestamp? ToTimestamp(DateTimeOffset? time) => time is { } t ? Timestamp.FromDateTimeOffset(t) : null;

    public void Dispose() => _channel.Dispose();
}
