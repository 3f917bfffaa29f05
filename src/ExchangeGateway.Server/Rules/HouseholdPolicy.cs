using ExchangeGateway.Contracts.V1;

namespace ExchangeGateway.Server.Rules;

/// <summary>What the household policy says about an announcement.</summary>
public enum HouseholdVerdict
{
    /// <summary>The household may travel once announced.</summary>
    Allowed,
    /// <summary>The household may travel only after the municipality consents.</summary>
    NeedsConsent,
    /// <summary>The household is too large to be placed with the referent.</summary>
    TooLarge,
}

/// <summary>The VNG letter's policy for nareizigers placed with the referent: first only households
/// of 1-2 travellers; 3-4 only after the municipality consents; larger ones not at all. Other kinds of
/// arrival are not placed with a referent and are not limited by it.</summary>
internal static class HouseholdPolicy
{
    public static HouseholdVerdict Judge(ChainRulesOptions rules, ArrivalKind kind, int travellers) =>
        kind != ArrivalKind.FamilyReunification || travellers <= rules.HouseholdWithoutConsent ? HouseholdVerdict.Allowed
        : travellers <= rules.HouseholdWithConsent ? HouseholdVerdict.NeedsConsent
        : HouseholdVerdict.TooLarge;

    /// <summary>The verdict for an announced household; FAILED_PRECONDITION when it is too large, before
    /// any work is done.</summary>
    public static HouseholdVerdict Require(ChainRulesOptions rules, ArrivalDetails details)
    {
        var verdict = Judge(rules, details.Kind, details.Travellers.Count);
        if (verdict == HouseholdVerdict.TooLarge)
        {
            throw GatewayErrors.FailedPrecondition("HOUSEHOLD_POLICY", "arrival.travellers", TooLargeReason(rules, details.Travellers.Count));
        }
        return verdict;
    }

    public static string TooLargeReason(ChainRulesOptions rules, int travellers) =>
        $"A family-reunification household of {travellers} travellers cannot be placed with the referent: the household policy allows " +
        $"up to {rules.HouseholdWithoutConsent} without and up to {rules.HouseholdWithConsent} with the municipality's consent. " +
        "Split the household over separate housing, or announce it as status-holder housing.";
}

/// <summary>The minimum lead time: announcements should reach the municipality some days before the
/// travellers do. A late one is accepted (refusing it would make the arrival unannounced), flagged and
/// escalated.</summary>
internal static class LeadTime
{
    public static int DaysAhead(DateOnly announcedOn, DateOnly expected) => expected.DayNumber - announcedOn.DayNumber;

    public static bool IsLate(ChainRulesOptions rules, DateOnly announcedOn, DateOnly expected) =>
        DaysAhead(announcedOn, expected) < rules.MinimumLeadTimeDays;

    public static string Describe(ChainRulesOptions rules, DateOnly announcedOn, DateOnly expected) =>
        $"Announced on {announcedOn:yyyy-MM-dd} for arrival on {expected:yyyy-MM-dd}: {DaysAhead(announcedOn, expected)} day(s) ahead, " +
        $"less than the minimum lead time of {rules.MinimumLeadTimeDays} days.";
}
