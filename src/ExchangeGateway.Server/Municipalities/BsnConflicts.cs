
namespace ExchangeGateway.Server.Municipalities;

/// <summary>The two ways a BSN report can contradict what is recorded. A BSN is assigned once and never
/// reused (Wabb art. 8), so neither settles itself by retrying: two records disagree about who someone
/// is. The caller's error is unchanged; the escalation names the traveller by position in the arrival
/// only, never by BSN or V-number.</summary>
internal static class BsnConflicts
{
    /// <summary>The traveller already has a different BSN.</summary>
    public static IdentifierConflictException AlreadyAssigned(ArrivalEntity arrival, TravellerEntity traveller, int index) => new(
        arrival.Id,
        $"BSN conflict for traveller {traveller.Position + 1} of this arrival: the municipality reported a BSN other than the one already recorded, and a BSN is never changed. The report was refused (BSN_ALREADY_ASSIGNED); the municipality and the IND need to establish which BSN is right.",
        GatewayErrors.FailedPrecondition("BSN_ALREADY_ASSIGNED", $"assignments[{index}]",
            $"Traveller assignments[{index}] already has a different BSN; a BSN is assigned once and never changed."));

    /// <summary>The BSN is already recorded for another person.</summary>
    public static IdentifierConflictException InUse(ArrivalEntity arrival, TravellerEntity traveller, int index) => new(
        arrival.Id,
        $"BSN conflict for traveller {traveller.Position + 1} of this arrival: the municipality reported a BSN that is already recorded for another person, and a BSN is never reused. The report was refused (BSN_IN_USE); the municipality and the IND need to establish who the BSN belongs to.",
        GatewayErrors.FailedPrecondition("BSN_IN_USE", $"assignments[{index}].bsn",
            $"The BSN of assignments[{index}] is already recorded for another person; a BSN is never reused."));
}
