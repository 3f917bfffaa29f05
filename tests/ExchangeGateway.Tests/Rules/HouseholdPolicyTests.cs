using ExchangeGateway.Contracts.V1;
using ExchangeGateway.Server.Hosting;
using ExchangeGateway.Server.Rules;

namespace ExchangeGateway.Tests.Rules;

public sealed class HouseholdPolicyTests
{
    private static readonly ChainRulesOptions Defaults = new();

    [Theory]
    [InlineData(1, HouseholdVerdict.Allowed)]
    [InlineData(2, HouseholdVerdict.Allowed)]
    [InlineData(3, HouseholdVerdict.NeedsConsent)]
    [InlineData(4, HouseholdVerdict.NeedsConsent)]
    [InlineData(5, HouseholdVerdict.TooLarge)]
    [InlineData(25, HouseholdVerdict.TooLarge)]
    public void Judge_FamilyReunification_FollowsTheLettersPolicy(int travellers, HouseholdVerdict expected) =>
        Assert.Equal(expected, HouseholdPolicy.Judge(Defaults, ArrivalKind.FamilyReunification, travellers));

    [Theory]
    [InlineData(ArrivalKind.StatusHolderHousing)]
    [InlineData(ArrivalKind.ReceptionPlacement)]
    public void Judge_NoReferent_IsNotLimited(ArrivalKind kind) =>
        Assert.Equal(HouseholdVerdict.Allowed, HouseholdPolicy.Judge(Defaults, kind, 12));

    [Fact]
    public void Judge_ConfiguredLimits_AreUsed()
    {
        var rules = new ChainRulesOptions { HouseholdWithoutConsent = 4, HouseholdWithConsent = 6 };

        Assert.Equal(HouseholdVerdict.Allowed, HouseholdPolicy.Judge(rules, ArrivalKind.FamilyReunification, 4));
        Assert.Equal(HouseholdVerdict.NeedsConsent, HouseholdPolicy.Judge(rules, ArrivalKind.FamilyReunification, 6));
        Assert.Equal(HouseholdVerdict.TooLarge, HouseholdPolicy.Judge(rules, ArrivalKind.FamilyReunification, 7));
    }

    [Fact]
    public void TooLargeReason_NamesTheLimits() =>
        Assert.Contains("up to 2 without and up to 4 with the municipality's consent", HouseholdPolicy.TooLargeReason(Defaults, 5), StringComparison.Ordinal);

    [Theory]
    [InlineData(0, true)]
    [InlineData(13, true)]
    [InlineData(14, false)]
    [InlineData(60, false)]
    public void IsLate_DaysAheadAgainstMinimumLeadTime(int daysAhead, bool late)
    {
        var today = new DateOnly(2026, 11, 28);

        Assert.Equal(late, LeadTime.IsLate(Defaults, today, today.AddDays(daysAhead)));
    }

    [Fact]
    public void StartOfDayUtc_AcrossDaylightSaving_IsAmsterdamMidnight()
    {
        Assert.Equal(new DateTime(2026, 1, 14, 23, 0, 0, DateTimeKind.Utc), AmsterdamCalendar.StartOfDayUtc(new DateOnly(2026, 1, 15)));
        Assert.Equal(new DateTime(2026, 7, 14, 22, 0, 0, DateTimeKind.Utc), AmsterdamCalendar.StartOfDayUtc(new DateOnly(2026, 7, 15)));
        Assert.Equal(new DateTime(2026, 3, 28, 23, 0, 0, DateTimeKind.Utc), AmsterdamCalendar.StartOfDayUtc(new DateOnly(2026, 3, 29))); // the day clocks go forward
    }
}
