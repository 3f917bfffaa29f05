using ExchangeGateway.Contracts.V1;
using ExchangeGateway.Server.Deadlines;
using ExchangeGateway.Server.Rules;
using Google.Protobuf.WellKnownTypes;
using Microsoft.Extensions.Options;

namespace ExchangeGateway.Server.Arrivals;

/// <summary>COA reports that the travellers reached the municipality: the registration (and, for
/// nareizigers, the IND check-in) deadlines start.</summary>
internal sealed class ReportTravellersArrivedUseCase(GatewayStore store, TimeProvider time, IOptions<GatewayOptions> options)
    : WriteUseCase<ReportTravellersArrivedRequest, ArrivalResponse>(store)
{
    private ChainRulesOptions Rules => options.Value.Rules;

    protected override void Validate(ReportTravellersArrivedRequest request, Caller caller, Violations violations)
    {
        violations.ArrivalId(request.ArrivalId);
        violations.RecentPast("arrived_at", request.ArrivedAt, time);
    }

    protected override async Task<ArrivalResponse> ExecuteAsync(ReportTravellersArrivedRequest request, WriteContext write)
    {
        var arrival = await ArrivalWrites.LoadVisibleAsync(write.Db, write.Caller, CommonRules.CanonicalId(request.ArrivalId), write.CancellationToken);
        ArrivalConsent.RequireGiven(arrival, "report arrival");
        ArrivalWrites.RequireState(arrival, "report arrival", ArrivalState.Departed);
        var arrivedAt = request.ArrivedAt?.ToDateTime() ?? write.Now;
        if (arrivedAt < arrival.DepartedAt)
        {
            throw GatewayErrors.InvalidArgument("arrived_at", "must not be before the reported departure");
        }
        ArrivalLifecycle.Enter(arrival, ArrivalState.Arrived);
        arrival.ArrivedAt = arrivedAt;
        ArrivalLifecycle.Record(write, arrival, "arrived", "COA reported that the travellers reached the municipality.");
        var arrivedOn = AmsterdamCalendar.DateOf(DateTime.SpecifyKind(arrivedAt, DateTimeKind.Utc));
        await DeadlineSchedule.SetAsync(write, arrival, EscalationKind.RegistrationOverdue, arrivedOn.AddDays(Rules.RegistrationDays));
        if (ArrivalLifecycle.NeedsCheckIn(arrival) && arrival.Travellers.Any(t => t.CheckedInAt is null))
        {
            await DeadlineSchedule.SetAsync(write, arrival, EscalationKind.CheckInOverdue, arrivedOn.AddDays(Rules.CheckInDays));
        }
        ArrivalNotices.Tell(write, arrival, new Notice
        {
            TravellersArrived = new TravellersArrived
            {
                ArrivalId = arrival.Id,
                MunicipalityCode = arrival.MunicipalityCode,
                ArrivedAt = Timestamp.FromDateTime(arrivedAt),
            },
        });
        return ArrivalWrites.Response(arrival);
    }
}
