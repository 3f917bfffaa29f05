using ExchangeGateway.Contracts.V1;
using ExchangeGateway.Server.Deadlines;
using ExchangeGateway.Server.Rules;

namespace ExchangeGateway.Server.Arrivals;

/// <summary>An announcement (or an amendment bringing the date forward) that comes later than the
/// minimum lead time is accepted, flagged and escalated, once per arrival.</summary>
internal static class LateAnnouncements
{
    public static bool IsLate(ChangeContext write, ArrivalEntity arrival, ChainRulesOptions rules) =>
        LeadTime.IsLate(rules, AmsterdamCalendar.DateOf(DateTime.SpecifyKind(write.Now, DateTimeKind.Utc)), arrival.ExpectedArrivalDate);

    public static void FlagIfLate(ChangeContext write, ArrivalEntity arrival, ChainRulesOptions rules)
    {
        if (arrival.LateAnnouncement || !IsLate(write, arrival, rules))
        {
            return;
        }
        arrival.LateAnnouncement = true;
        var announcedOn = AmsterdamCalendar.DateOf(DateTime.SpecifyKind(write.Now, DateTimeKind.Utc));
        Escalations.Raise(write, arrival, EscalationKind.LateAnnouncement, LeadTime.Describe(rules, announcedOn, arrival.ExpectedArrivalDate));
    }
}
