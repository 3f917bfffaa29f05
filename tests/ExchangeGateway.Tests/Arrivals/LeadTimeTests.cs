using ExchangeGateway.Contracts.V1;
using ExchangeGateway.Tests.Fixtures;
using ExchangeGateway.Tests.Shared;

namespace ExchangeGateway.Tests.Arrivals;

public sealed class LeadTimeTests(GatewayHostFixture fixture) : IClassFixture<GatewayHostFixture>
{
    private GatewayHost Host => fixture.Host;

    private ArrivalDetails ExpectedInDays(int days)
    {
        var details = TestArrivals.Family("0363");
        details.ExpectedArrivalDate = TestArrivals.ToDate(Host.Today().AddDays(days));
        return details;
    }

    [Fact]
    public async Task AnnounceArrival_LessThanLeadTimeAhead_IsAcceptedFlaggedAndEscalated()
    {
        var arrival = await Host.AnnounceAsync(ExpectedInDays(3));

        Assert.Equal(ArrivalState.Announced, arrival.State);
        Assert.True(arrival.LateAnnouncement);
        var escalation = Assert.Single(arrival.Escalations);
        Assert.Equal(EscalationKind.LateAnnouncement, escalation.Kind);
        Assert.Contains("3 day(s) ahead, less than the minimum lead time of 14 days", escalation.Description, StringComparison.Ordinal);
        var notices = await Host.NoticesAboutAsync(arrival.ArrivalId);
        Assert.True(notices.First(n => n.Type == ArrivalSteps.Announced).Notice.ArrivalAnnounced.LateAnnouncement);
        Assert.Equal(["chain", "municipality:0363"], notices.Where(n => n.Type == ArrivalSteps.Escalation).Select(n => n.Feed).Order());
    }

    [Fact]
    public async Task AnnounceArrival_LeadTimeRespected_IsNotFlagged()
    {
        var arrival = await Host.AnnounceAsync(ExpectedInDays(14));

        Assert.False(arrival.LateAnnouncement);
        Assert.Empty(arrival.Escalations);
    }

    [Fact]
    public async Task AmendArrival_DateBroughtForward_FlagsOnce()
    {
        var arrival = await Host.AnnounceAsync(ExpectedInDays(20));
        var details = arrival.Details.Clone();
        details.ExpectedArrivalDate = TestArrivals.ToDate(Host.Today().AddDays(2));

        var amended = (await Host.Arrivals().AmendArrivalAsync(new AmendArrivalRequest { RequestId = ArrivalSteps.NewRequestId(), ArrivalId = arrival.ArrivalId, Arrival = details })).Arrival;
        details.ExpectedArrivalDate = TestArrivals.ToDate(Host.Today().AddDays(1));
        var again = (await Host.Arrivals().AmendArrivalAsync(new AmendArrivalRequest { RequestId = ArrivalSteps.NewRequestId(), ArrivalId = arrival.ArrivalId, Arrival = details })).Arrival;

        Assert.True(amended.LateAnnouncement);
        Assert.Single(again.Escalations, e => e.Kind == EscalationKind.LateAnnouncement);
    }
}
