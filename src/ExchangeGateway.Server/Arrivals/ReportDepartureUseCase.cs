using ExchangeGateway.Contracts.V1;
using Google.Protobuf.WellKnownTypes;

namespace ExchangeGateway.Server.Arrivals;

/// <summary>COA reports that the travellers left for the municipality.</summary>
internal sealed class ReportDepartureUseCase(GatewayStore store, TimeProvider time) : WriteUseCase<ReportDepartureRequest, ArrivalResponse>(store)
{
    protected override void Validate(ReportDepartureRequest request, Caller caller, Violations violations)
    {
        violations.ArrivalId(request.ArrivalId);
        violations.RecentPast("departed_at", request.DepartedAt, time);
    }

    protected override async Task<ArrivalResponse> ExecuteAsync(ReportDepartureRequest request, WriteContext write)
    {
        var arrival = await ArrivalWrites.LoadVisibleAsync(write.Db, write.Caller, CommonRules.CanonicalId(request.ArrivalId), write.CancellationToken);
        ArrivalConsent.RequireGiven(arrival, "report departure");
        ArrivalWrites.RequireState(arrival, "report departure", ArrivalState.Announced, ArrivalState.Acknowledged);
        var departedAt = request.DepartedAt?.ToDateTime() ?? write.Now;
        ArrivalLifecycle.Enter(arrival, ArrivalState.Departed);
        arrival.DepartedAt = departedAt;
        ArrivalLifecycle.Record(write, arrival, "departed", "COA reported that the travellers left for the municipality.");
        ArrivalNotices.Tell(write, arrival, new Notice
        {
            TravellersDeparted = new TravellersDeparted
            {
                ArrivalId = arrival.Id,
                MunicipalityCode = arrival.MunicipalityCode,
                DepartedAt = Timestamp.FromDateTime(departedAt),
            },
        });
        return ArrivalWrites.Response(arrival);
    }
}
