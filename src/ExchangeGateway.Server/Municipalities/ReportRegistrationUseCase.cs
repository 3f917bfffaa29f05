using ExchangeGateway.Contracts.V1;
using ExchangeGateway.Server.Arrivals;
using ExchangeGateway.Server.Deadlines;
using ExchangeGateway.Server.Rules;

namespace ExchangeGateway.Server.Municipalities;

/// <summary>A municipality's BRP system reports the registration of travellers who arrived; COA and the IND are told.</summary>
internal sealed class ReportRegistrationUseCase(GatewayStore store, TimeProvider time) : WriteUseCase<ReportRegistrationRequest, ArrivalResponse>(store)
{
    protected override void Validate(ReportRegistrationRequest request, Caller caller, Violations violations)
    {
        violations.ArrivalId(request.ArrivalId);
        var today = AmsterdamCalendar.Today(time);
        TravellerReports.ValidateEach(violations, "registrations", request.Registrations, r => r.VNumber, (at, registration) =>
        {
            switch (registration.Status)
            {
                case RegistrationStatus.Pending:
                    break;
                case RegistrationStatus.Registered:
                    if (violations.CompleteDate(at + ".registered_on", registration.RegisteredOn) is { } on && on > today)
                    {
                        violations.Add(at + ".registered_on", "must not be in the future");
                    }
                    break;
                case RegistrationStatus.Refused:
                    violations.RequireText(at + ".refusal_reason", registration.RefusalReason, 500);
                    break;
                default:
                    violations.Add(at + ".status", "must be PENDING, REGISTERED or REFUSED");
                    break;
            }
            if (registration.Status != RegistrationStatus.Registered && registration.RegisteredOn is not null)
            {
                violations.Add(at + ".registered_on", "is only given when the status is REGISTERED");
            }
            if (registration.Status != RegistrationStatus.Refused && registration.RefusalReason.Length > 0)
            {
                violations.Add(at + ".refusal_reason", "is only given when the status is REFUSED");
            }
        });
    }

    protected override async Task<ArrivalResponse> ExecuteAsync(ReportRegistrationRequest request, WriteContext write)
    {
        var arrival = await ArrivalWrites.LoadVisibleAsync(write.Db, write.Caller, CommonRules.CanonicalId(request.ArrivalId), write.CancellationToken);
        ArrivalWrites.RequireState(arrival, "report registration", ArrivalState.Arrived);
        var arrivedOn = AmsterdamCalendar.DateOf(DateTime.SpecifyKind(arrival.ArrivedAt!.Value, DateTimeKind.Utc));
        var reported = new List<TravellerEntity>();
        for (var i = 0; i < request.Registrations.Count; i++)
        {
            var registration = request.Registrations[i];
            var traveller = TravellerReports.FindTraveller(arrival, $"registrations[{i}].v_number", registration.VNumber);
            var current = traveller.RegistrationStatus;
            if (current == RegistrationStatus.Registered && registration.Status != RegistrationStatus.Registered)
            {
                throw GatewayErrors.FailedPrecondition("REGISTRATION_STATE", $"registrations[{i}]",
                    $"Traveller registrations[{i}] is already registered in the BRP; a registration cannot go back to {registration.Status}.");
            }
            var registeredOn = registration.RegisteredOn is { } d ? new DateOnly(d.Year, d.Month, d.Day) : (DateOnly?)null;
            if (registeredOn < arrivedOn)
            {
                throw GatewayErrors.InvalidArgument($"registrations[{i}].registered_on", "must not be before the day the travellers arrived");
            }
            if (current == RegistrationStatus.Registered && traveller.RegisteredOn != registeredOn)
            {
                throw GatewayErrors.FailedPrecondition("REGISTRATION_STATE", $"registrations[{i}]",
                    $"Traveller registrations[{i}] is already registered on another date.");
            }
            traveller.RegistrationStatus = registration.Status;
            traveller.RegisteredOn = registeredOn;
            traveller.RefusalReason = registration.Status == RegistrationStatus.Refused ? registration.RefusalReason : null;
            reported.Add(traveller);
        }
        if (arrival.Travellers.All(t => t.RegistrationStatus is RegistrationStatus.Pending or RegistrationStatus.Registered or RegistrationStatus.Refused))
        {
            // Everyone reported to the municipality (art. 2.38 asks for the report, not the outcome).
            await DeadlineSchedule.ClearAsync(write, arrival, EscalationKind.RegistrationOverdue);
        }
        var counts = reported.GroupBy(t => t.RegistrationStatus).Select(g => $"{g.Count()} {Describe(g.Key)}");
        ArrivalLifecycle.Record(write, arrival, "registration-reported", "BRP registration reported: " + string.Join(", ", counts) + ".");
        var notice = new RegistrationReported { ArrivalId = arrival.Id, MunicipalityCode = arrival.MunicipalityCode };
        notice.Travellers.AddRange(reported.Select(t => ArrivalMapping.ToContract(arrival, t)));
        ArrivalNotices.Tell(write, arrival, new Notice { RegistrationReported = notice });
        return ArrivalWrites.Response(arrival);
    }

    private static string Describe(RegistrationStatus status) => status switch
    {
        RegistrationStatus.Pending => "pending",
        RegistrationStatus.Registered => "registered",
        RegistrationStatus.Refused => "refused",
        _ => status.ToString(),
    };
}
