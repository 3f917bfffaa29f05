using ExchangeGateway.Contracts.V1;
using ExchangeGateway.Server.Arrivals;
using ExchangeGateway.Server.Audit;
using ExchangeGateway.Server.Deadlines;
using ExchangeGateway.Server.Errors;
using ExchangeGateway.Server.Identity;
using ExchangeGateway.Server.Rules;
using ExchangeGateway.Server.Storage;
using ExchangeGateway.Server.Validation;
using Grpc.Core;

namespace ExchangeGateway.Server.Municipalities;

/// <summary>MunicipalityService: a municipality's BRP system reports registration and BSNs of the
/// travellers of arrivals addressed to it. COA and the IND are told.</summary>
internal sealed partial class MunicipalityGrpcService(GatewayStore store, TimeProvider time, IdentifierConflicts conflicts) : MunicipalityService.MunicipalityServiceBase
{
    [Allow(OrganisationRole.Municipality)]
    [ProcessingActivity("Melden inschrijving BRP")]
    public override Task<ArrivalResponse> ReportRegistration(ReportRegistrationRequest request, ServerCallContext context)
    {
        var violations = new Violations();
        violations.RequestId(request.RequestId);
        var arrivalId = violations.ArrivalId(request.ArrivalId);
        var today = AmsterdamCalendar.Today(time);
        ValidateEach(violations, "registrations", request.Registrations, r => r.VNumber, (at, registration) =>
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
        violations.ThrowIfAny();

        var caller = CallerInterceptor.CallerOf(context);
        return store.ExecuteAsync(caller, context.Method, request, request.RequestId, async write =>
        {
            var arrival = await ArrivalWrites.LoadVisibleAsync(write.Db, caller, arrivalId!, write.CancellationToken);
            ArrivalWrites.RequireState(arrival, "report registration", ArrivalState.Arrived);
            var arrivedOn = AmsterdamCalendar.DateOf(DateTime.SpecifyKind(arrival.ArrivedAt!.Value, DateTimeKind.Utc));
            var reported = new List<TravellerEntity>();
            for (var i = 0; i < request.Registrations.Count; i++)
            {
                var registration = request.Registrations[i];
                var traveller = FindTraveller(arrival, $"registrations[{i}].v_number", registration.VNumber);
                var current = (RegistrationStatus)traveller.RegistrationStatus;
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
                traveller.RegistrationStatus = (int)registration.Status;
                traveller.RegisteredOn = registeredOn;
                traveller.RefusalReason = registration.Status == RegistrationStatus.Refused ? registration.RefusalReason : null;
                reported.Add(traveller);
            }
            if (arrival.Travellers.All(t => (RegistrationStatus)t.RegistrationStatus is RegistrationStatus.Pending or RegistrationStatus.Registered or RegistrationStatus.Refused))
            {
                // Everyone reported to the municipality (art. 2.38 asks for the report, not the outcome).
                await DeadlineSchedule.ClearAsync(write, arrival, EscalationKind.RegistrationOverdue);
            }
            var counts = reported.GroupBy(t => (RegistrationStatus)t.RegistrationStatus).Select(g => $"{g.Count()} {Describe(g.Key)}");
            ArrivalWrites.Record(write, arrival, "registration-reported", "BRP registration reported: " + string.Join(", ", counts) + ".");
            var notice = new RegistrationReported { ArrivalId = arrival.Id, MunicipalityCode = arrival.MunicipalityCode };
            notice.Travellers.AddRange(reported.Select(t => ArrivalMapping.ToContract(arrival, t)));
            write.Outbox.Add(FeedNames.Coa, arrival.Id, new Notice { RegistrationReported = notice });
            write.Outbox.Add(FeedNames.Ind, arrival.Id, new Notice { RegistrationReported = notice.Clone() });
            return new ArrivalResponse { Arrival = ArrivalMapping.ToContract(arrival, withHistory: true) };
        }, context.CancellationToken);
    }

    [Allow(OrganisationRole.Municipality)]
    [ProcessingActivity("Melden toekenning BSN")]
    public override Task<ArrivalResponse> ReportBsnAssigned(ReportBsnAssignedRequest request, ServerCallContext context)
    {
        var violations = new Violations();
        violations.RequestId(request.RequestId);
        var arrivalId = violations.ArrivalId(request.ArrivalId);
        ValidateEach(violations, "assignments", request.Assignments, a => a.VNumber, (at, assignment) =>
        {
            if (!Identifiers.IsValidBsn(assignment.Bsn))
            {
                violations.Add(at + ".bsn", "must be a BSN of 9 digits that passes the 11-proef");
            }
            if (assignment.ANumber.Length > 0 && !Identifiers.IsValidANummer(assignment.ANumber))
            {
                violations.Add(at + ".a_number", "must be an A-nummer of 10 digits that passes rule R1585");
            }
        });
        var duplicateBsn = request.Assignments.GroupBy(a => a.Bsn).FirstOrDefault(g => g.Key.Length > 0 && g.Count() > 1);
        if (duplicateBsn is not null)
        {
            violations.Add("assignments", "the same BSN is given to more than one traveller");
        }
        violations.ThrowIfAny();

        var caller = CallerInterceptor.CallerOf(context);
        // A BSN conflict refuses the report, which rolls its unit of work back: it is escalated after that, on its own.
        IdentifierConflict? conflict = null;
        return conflicts.EscalatingAsync(() => conflict, store.ExecuteAsync(caller, context.Method, request, request.RequestId, async write =>
        {
            conflict = null; // a unit may run more than once (a retried batch); its last run counts
            var arrival = await ArrivalWrites.LoadVisibleAsync(write.Db, caller, arrivalId!, write.CancellationToken);
            ArrivalWrites.RequireState(arrival, "report BSNs", ArrivalState.Arrived);
            var reported = new List<TravellerEntity>();
            for (var i = 0; i < request.Assignments.Count; i++)
            {
                var assignment = request.Assignments[i];
                var traveller = FindTraveller(arrival, $"assignments[{i}].v_number", assignment.VNumber);
                if ((RegistrationStatus)traveller.RegistrationStatus != RegistrationStatus.Registered)
                {
                    throw GatewayErrors.FailedPrecondition("NOT_REGISTERED", $"assignments[{i}]",
                        $"Traveller assignments[{i}] is not registered in the BRP; report the registration first (a BSN follows registration).");
                }
                if (traveller.Bsn is not null && traveller.Bsn != assignment.Bsn)
                {
                    conflict = BsnConflicts.AlreadyAssigned(arrival, traveller, i);
                    throw conflict.Error;
                }
                var bsn = assignment.Bsn;
                var vNumber = assignment.VNumber;
                var holder = await write.Db.BsnHolders.FindAsync([bsn], write.CancellationToken);
                if (holder is null)
                {
                    // Two instances adding the same BSN at once: the second insert fails on the key, its
                    // unit runs again and finds this holder.
                    write.Db.BsnHolders.Add(new BsnHolderEntity { Bsn = bsn, VNumber = vNumber });
                }
                else if (holder.VNumber != vNumber)
                {
                    conflict = BsnConflicts.InUse(arrival, traveller, i);
                    throw conflict.Error;
                }
                traveller.Bsn = bsn;
                if (assignment.ANumber.Length > 0)
                {
                    traveller.ANumber = assignment.ANumber;
                }
                traveller.BsnAssignedAt ??= write.Now;
                reported.Add(traveller);
            }
            var complete = ArrivalLifecycle.IsComplete(arrival);
            if (complete)
            {
                ArrivalLifecycle.Enter(arrival, ArrivalState.Completed);
                await DeadlineSchedule.ClearAllAsync(write, arrival);
            }
            ArrivalWrites.Record(write, arrival, "bsn-assigned",
                $"BSN reported for {reported.Count} traveller(s)" + (complete ? "; the arrival is complete."
                    : arrival.Travellers.All(t => t.Bsn is not null) ? "; every traveller has a BSN, the IND check-in is still open." : "."));
            var notice = new BsnAssigned { ArrivalId = arrival.Id, MunicipalityCode = arrival.MunicipalityCode };
            notice.Travellers.AddRange(reported.Select(t => ArrivalMapping.ToContract(arrival, t)));
            write.Outbox.Add(FeedNames.Coa, arrival.Id, new Notice { BsnAssigned = notice });
            write.Outbox.Add(FeedNames.Ind, arrival.Id, new Notice { BsnAssigned = notice.Clone() });
            return new ArrivalResponse { Arrival = ArrivalMapping.ToContract(arrival, withHistory: true) };
        }, context.CancellationToken));
    }

    private static void ValidateEach<T>(Violations violations, string field, IList<T> items, Func<T, string> vNumberOf, Action<string, T> validate)
    {
        if (items.Count == 0)
        {
            violations.Add(field, "must hold at least one entry");
            return;
        }
        if (items.Count > 100)
        {
            violations.Add(field, "must hold at most 100 entries");
            return;
        }
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < items.Count; i++)
        {
            var at = $"{field}[{i}]";
            var vNumber = vNumberOf(items[i]);
            violations.VNumber(at + ".v_number", vNumber);
            if (vNumber.Length > 0 && !seen.Add(vNumber))
            {
                violations.Add(at + ".v_number", "appears twice in this request");
            }
            validate(at, items[i]);
        }
    }

    /// <summary>A V-number that is not a traveller of this arrival is a mistake in the request, and
    /// says nothing about other arrivals.</summary>
    private static TravellerEntity FindTraveller(ArrivalEntity arrival, string field, string vNumber) =>
        arrival.Travellers.FirstOrDefault(t => t.VNumber == vNumber)
        ?? throw GatewayErrors.InvalidArgument(field, "is not a traveller of this arrival");

    private static string Describe(RegistrationStatus status) => status switch
    {
        RegistrationStatus.Pending => "pending",
        RegistrationStatus.Registered => "registered",
        RegistrationStatus.Refused => "refused",
        _ => status.ToString(),
    };
}
