using ExchangeGateway.Contracts.V1;
using ExchangeGateway.Server.Audit;
using Grpc.Core;

namespace ExchangeGateway.Server.Arrivals;

/// <summary>ArrivalService: COA announces and follows arrivals. Each mutating method is one use case;
/// the reads are one query each.</summary>
internal sealed class ArrivalGrpcService(
    GatewayStore store,
    AnnounceArrivalUseCase announce,
    AmendArrivalUseCase amend,
    CancelArrivalUseCase cancel,
    ReportDepartureUseCase departure,
    ReportTravellersArrivedUseCase arrived) : ArrivalService.ArrivalServiceBase
{
    [Allow(OrganisationRole.Coa)]
    [ProcessingActivity("Aankondigen aankomst")]
    public override Task<ArrivalResponse> AnnounceArrival(AnnounceArrivalRequest request, ServerCallContext context) =>
        announce.RunAsync(request, context);

    [Allow(OrganisationRole.Coa)]
    [ProcessingActivity("Wijzigen aankondiging")]
    public override Task<ArrivalResponse> AmendArrival(AmendArrivalRequest request, ServerCallContext context) =>
        amend.RunAsync(request, context);

    [Allow(OrganisationRole.Coa)]
    [ProcessingActivity("Annuleren aankondiging")]
    public override Task<ArrivalResponse> CancelArrival(CancelArrivalRequest request, ServerCallContext context) =>
        cancel.RunAsync(request, context);

    [Allow(OrganisationRole.Coa)]
    [ProcessingActivity("Melden vertrek")]
    public override Task<ArrivalResponse> ReportDeparture(ReportDepartureRequest request, ServerCallContext context) =>
        departure.RunAsync(request, context);

    [Allow(OrganisationRole.Coa)]
    [ProcessingActivity("Melden aankomst")]
    public override Task<ArrivalResponse> ReportTravellersArrived(ReportTravellersArrivedRequest request, ServerCallContext context) =>
        arrived.RunAsync(request, context);

    [Allow(OrganisationRole.Coa, OrganisationRole.Municipality, OrganisationRole.ChainCoordination)]
    [ProcessingActivity("Raadplegen aankomst")]
    public override Task<ArrivalResponse> GetArrival(GetArrivalRequest request, ServerCallContext context)
    {
        var violations = new Violations();
        var arrivalId = violations.ArrivalId(request.ArrivalId);
        violations.ThrowIfAny();
        var caller = CallerInterceptor.CallerOf(context);
        return store.ReadAsync(async (db, token) => ArrivalWrites.Response(await ArrivalWrites.LoadVisibleAsync(db, caller, arrivalId!, token)), context.CancellationToken);
    }

    [Allow(OrganisationRole.Coa, OrganisationRole.Municipality, OrganisationRole.ChainCoordination)]
    [ProcessingActivity("Raadplegen aankomsten")]
    public override Task<ListArrivalsResponse> ListArrivals(ListArrivalsRequest request, ServerCallContext context)
    {
        var caller = CallerInterceptor.CallerOf(context);
        var query = ArrivalListQuery.Parse(request);
        return store.ReadAsync((db, token) => query.RunAsync(db, caller, token), context.CancellationToken);
    }
}
