using ExchangeGateway.Contracts.V1;
using ExchangeGateway.Server.Arrivals;

namespace ExchangeGateway.Server.Municipalities;

/// <summary>A municipality's BRP system reports the BSNs of registered travellers; COA and the IND are
/// told. A BSN that contradicts a recorded one refuses the report and is escalated on its own.</summary>
internal sealed class ReportBsnAssignedUseCase(GatewayStore store, IdentifierConflicts conflicts) : WriteUseCase<ReportBsnAssignedRequest, ArrivalResponse>(store)
{
    protected override void Validate(ReportBsnAssignedRequest request, Caller caller, Violations violations)
    {
        violations.ArrivalId(request.ArrivalId);
        TravellerReports.ValidateEach(violations, "assignments", request.Assignments, a => a.VNumber, (at, assignment) =>
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
    }

    protected override Task<ArrivalResponse> SubmitAsync(ReportBsnAssignedRequest request, Caller caller, string method, CancellationToken cancellationToken) =>
        conflicts.EscalatingAsync(base.SubmitAsync(request, caller, method, cancellationToken));

    protected override async Task<ArrivalResponse> ExecuteAsync(ReportBsnAssignedRequest request, WriteContext write)
    {
        var arrival = await ArrivalWrites.LoadVisibleAsync(write.Db, write.Caller, CommonRules.CanonicalId(request.ArrivalId), write.CancellationToken);
        ArrivalWrites.RequireState(arrival, "report BSNs", ArrivalState.Arrived);
        var reported = new List<TravellerEntity>();
        for (var i = 0; i < request.Assignments.Count; i++)
        {
            var assignment = request.Assignments[i];
            var traveller = TravellerReports.FindTraveller(arrival, $"assignments[{i}].v_number", assignment.VNumber);
            if (traveller.RegistrationStatus != RegistrationStatus.Registered)
            {
                throw GatewayErrors.FailedPrecondition("NOT_REGISTERED", $"assignments[{i}]",
                    $"Traveller assignments[{i}] is not registered in the BRP; report the registration first (a BSN follows registration).");
            }
            if (traveller.Bsn is not null && traveller.Bsn != assignment.Bsn)
            {
                throw BsnConflicts.AlreadyAssigned(arrival, traveller, i);
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
                throw BsnConflicts.InUse(arrival, traveller, i);
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
            await ArrivalLifecycle.CloseAsync(write, arrival, ArrivalState.Completed);
        }
        ArrivalLifecycle.Record(write, arrival, "bsn-assigned",
            $"BSN reported for {reported.Count} traveller(s)" + (complete ? "; the arrival is complete."
                : arrival.Travellers.All(t => t.Bsn is not null) ? "; every traveller has a BSN, the IND check-in is still open." : "."));
        var notice = new BsnAssigned { ArrivalId = arrival.Id, MunicipalityCode = arrival.MunicipalityCode };
        notice.Travellers.AddRange(reported.Select(t => ArrivalMapping.ToContract(arrival, t)));
        ArrivalNotices.Tell(write, arrival, new Notice { BsnAssigned = notice });
        return ArrivalWrites.Response(arrival);
    }
}
