using ExchangeGateway.Contracts.V1;
using ExchangeGateway.Tests.Fixtures;
using ExchangeGateway.Tests.Shared;
using Grpc.Core;

namespace ExchangeGateway.Tests.Municipalities;

public sealed class DecideConsentTests(GatewayHostFixture fixture) : IClassFixture<GatewayHostFixture>
{
    private GatewayHost Host => fixture.Host;

    private Task<Arrival> AwaitingConsentAsync(int travellers = 3) => Host.AnnounceAsync(TestArrivals.Family("0363", travellers));

    private Task<ArrivalResponse> DecideAsync(string arrivalId, ConsentStatus decision, string reason = "", string organisation = "gemeente-amsterdam") =>
        Host.Municipality(organisation).DecideConsentAsync(new DecideConsentRequest
        {
            RequestId = ArrivalSteps.NewRequestId(),
            ArrivalId = arrivalId,
            Decision = decision,
            RefusalReason = reason,
        }).ResponseAsync;

    [Theory]
    [InlineData(3)]
    [InlineData(4)]
    public async Task AnnounceArrival_HouseholdOfThreeOrFour_AwaitsConsentAndAsksTheMunicipality(int travellers)
    {
        var arrival = await AwaitingConsentAsync(travellers);

        Assert.Equal(ArrivalState.AwaitingConsent, arrival.State);
        Assert.Equal(ConsentStatus.Requested, arrival.Consent.Status);
        Assert.Equal(travellers, arrival.Consent.HouseholdSize);
        Assert.Equal(TestArrivals.ToDate(Host.Today().AddDays(10)), arrival.Consent.DecideBy);
        var notices = await Host.NoticesAboutAsync(arrival.ArrivalId);
        Assert.Equal([ArrivalSteps.Announced, ArrivalSteps.ConsentRequested], notices.Where(n => n.Feed == "municipality:0363").Select(n => n.Type));
        var announced = notices.First(n => n.Type == ArrivalSteps.Announced).Notice.ArrivalAnnounced;
        Assert.Equal(ConsentStatus.Requested, announced.Consent);
        Assert.Equal(travellers, notices.Single(n => n.Type == ArrivalSteps.ConsentRequested).Notice.ConsentRequested.HouseholdSize);
    }

    [Fact]
    public async Task AnnounceArrival_HouseholdOfTwo_NeedsNoConsent()
    {
        var arrival = await AwaitingConsentAsync(2);

        Assert.Equal(ArrivalState.Announced, arrival.State);
        Assert.Equal(ConsentStatus.NotRequired, arrival.Consent.Status);
        Assert.DoesNotContain(ArrivalSteps.ConsentRequested, await Host.NoticeTypesAsync(arrival.ArrivalId, "municipality:0363"));
    }

    [Fact]
    public async Task AnnounceArrival_HouseholdOfFive_IsRefusedByPolicy()
    {
        var violation = await RpcAssert.FailedPreconditionAsync(() => Host.AnnounceAsync(TestArrivals.Family("0363", 5)), "HOUSEHOLD_POLICY");

        Assert.Equal("arrival.travellers", violation.Subject);
        Assert.Contains("up to 4 with the municipality's consent", violation.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnnounceArrival_LargeStatusHolderHousehold_IsNotLimitedByThePolicy()
    {
        var details = TestArrivals.Family("0363", 6);
        details.Kind = ArrivalKind.StatusHolderHousing;
        details.Referent = null;
        foreach (var traveller in details.Travellers)
        {
            traveller.Relation = Relation.None;
        }

        var arrival = await Host.AnnounceAsync(details);

        Assert.Equal(ArrivalState.Announced, arrival.State);
    }

    [Fact]
    public async Task ReportDeparture_BeforeConsent_IsFailedPreconditionWithReason()
    {
        var arrival = await AwaitingConsentAsync();

        var violation = await RpcAssert.FailedPreconditionAsync(() => Host.DepartAsync(arrival.ArrivalId), "CONSENT_REQUIRED");

        Assert.Contains("has not decided yet", violation.Description, StringComparison.Ordinal);
        await RpcAssert.FailedPreconditionAsync(() => Host.ArriveAsync(arrival.ArrivalId), "CONSENT_REQUIRED");
    }

    [Fact]
    public async Task DecideConsent_Granted_LetsTheHouseholdTravelAndTellsCoaAndInd()
    {
        var arrival = await AwaitingConsentAsync();

        var decided = (await DecideAsync(arrival.ArrivalId, ConsentStatus.Granted)).Arrival;

        Assert.Equal(ArrivalState.Announced, decided.State);
        Assert.Equal(ConsentStatus.Granted, decided.Consent.Status);
        Assert.NotNull(decided.Consent.DecidedAt);
        Assert.Equal("consent-granted", decided.History.Last().Action);
        Assert.Equal("gemeente-amsterdam", decided.History.Last().Actor);
        var notices = (await Host.NoticesAboutAsync(arrival.ArrivalId)).Where(n => n.Type == ArrivalSteps.ConsentDecided).ToList();
        Assert.Equal(["coa", "ind"], notices.Select(n => n.Feed));
        Assert.All(notices, n => Assert.Equal(ConsentStatus.Granted, n.Notice.ConsentDecided.Decision));
        Assert.Equal(arrival.Details.CaseReference, notices[0].Notice.ConsentDecided.CaseReference);
        Assert.Equal(ArrivalState.Departed, (await Host.DepartAsync(arrival.ArrivalId)).State);
    }

    [Fact]
    public async Task DecideConsent_GrantedAfterAcknowledgement_IsAcknowledged()
    {
        var arrival = await AwaitingConsentAsync();
        var acknowledged = await Host.AcknowledgeAnnouncementAsync(arrival.ArrivalId);
        Assert.Equal(ArrivalState.AwaitingConsent, acknowledged.State); // received is not consent

        var decided = (await DecideAsync(arrival.ArrivalId, ConsentStatus.Granted)).Arrival;

        Assert.Equal(ArrivalState.Acknowledged, decided.State);
    }

    [Fact]
    public async Task DecideConsent_Refused_ClosesTheArrivalAndFreesTheTravellers()
    {
        var arrival = await AwaitingConsentAsync();

        var refused = (await DecideAsync(arrival.ArrivalId, ConsentStatus.Refused, "The referent's home is too small.")).Arrival;

        Assert.Equal(ArrivalState.ConsentRefused, refused.State);
        Assert.Equal("The referent's home is too small.", refused.Consent.RefusalReason);
        Assert.All(refused.Travellers, t => Assert.Equal(TravellerState.Cancelled, t.State));
        var notice = (await Host.NoticesAboutAsync(arrival.ArrivalId)).First(n => n.Feed == "coa" && n.Type == ArrivalSteps.ConsentDecided).Notice.ConsentDecided;
        Assert.Equal(ConsentStatus.Refused, notice.Decision);
        Assert.Equal("The referent's home is too small.", notice.RefusalReason);
        await RpcAssert.FailedPreconditionAsync(() => Host.DepartAsync(arrival.ArrivalId), "ARRIVAL_STATE");
        // The same people may be announced again (e.g. split over two homes).
        var again = arrival.Details.Clone();
        again.Travellers.RemoveAt(2);
        Assert.Equal(ArrivalState.Announced, (await Host.AnnounceAsync(again)).State);
    }

    [Fact]
    public async Task DecideConsent_Twice_IsFailedPreconditionBecauseDecisionsAreFinal()
    {
        var arrival = await AwaitingConsentAsync();
        await DecideAsync(arrival.ArrivalId, ConsentStatus.Granted);

        var violation = await RpcAssert.FailedPreconditionAsync(() => DecideAsync(arrival.ArrivalId, ConsentStatus.Refused, "Changed our mind."), "CONSENT_STATE");

        Assert.Contains("already decided", violation.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DecideConsent_ArrivalWithoutConsentRequest_IsFailedPrecondition()
    {
        var arrival = await AwaitingConsentAsync(2);

        var violation = await RpcAssert.FailedPreconditionAsync(() => DecideAsync(arrival.ArrivalId, ConsentStatus.Granted), "CONSENT_STATE");

        Assert.Contains("does not need consent", violation.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DecideConsent_InvalidRequest_NamesEachField()
    {
        await RpcAssert.InvalidArgumentAsync(() => Host.Municipality().DecideConsentAsync(new DecideConsentRequest()).ResponseAsync,
            "request_id", "arrival_id", "decision");
        await RpcAssert.InvalidArgumentAsync(() => DecideAsync(Guid.NewGuid().ToString(), ConsentStatus.Refused), "refusal_reason");
        await RpcAssert.InvalidArgumentAsync(() => DecideAsync(Guid.NewGuid().ToString(), ConsentStatus.Granted, "why"), "refusal_reason");
        await RpcAssert.InvalidArgumentAsync(() => DecideAsync(Guid.NewGuid().ToString(), ConsentStatus.NotRequired), "decision");
    }

    [Fact]
    public async Task DecideConsent_OtherMunicipalitysArrival_IsNotFound()
    {
        var arrival = await AwaitingConsentAsync();

        await RpcAssert.ThrowsAsync(StatusCode.NotFound, () => DecideAsync(arrival.ArrivalId, ConsentStatus.Granted, organisation: "gemeente-utrecht"));
    }

    [Theory]
    [InlineData("coa")]
    [InlineData("ind")]
    [InlineData("ketenregie")]
    public async Task DecideConsent_NotAMunicipality_IsPermissionDenied(string organisation)
    {
        var arrival = await AwaitingConsentAsync();

        await RpcAssert.ThrowsAsync(StatusCode.PermissionDenied, () => new MunicipalityService.MunicipalityServiceClient(Host.ChannelFor(organisation))
            .DecideConsentAsync(new DecideConsentRequest { RequestId = ArrivalSteps.NewRequestId(), ArrivalId = arrival.ArrivalId, Decision = ConsentStatus.Granted }).ResponseAsync);
    }

    [Fact]
    public async Task DecideConsent_SameRequestTwice_ReturnsSameAnswerAndTellsOnce()
    {
        var arrival = await AwaitingConsentAsync();
        var request = new DecideConsentRequest { RequestId = ArrivalSteps.NewRequestId(), ArrivalId = arrival.ArrivalId, Decision = ConsentStatus.Granted };

        var first = await Host.Municipality().DecideConsentAsync(request);
        var second = await Host.Municipality().DecideConsentAsync(request);

        Assert.Equal(first, second);
        Assert.Single(await Host.NoticeTypesAsync(arrival.ArrivalId, "coa"), ArrivalSteps.ConsentDecided);
    }

    [Fact]
    public async Task AmendArrival_HouseholdGrowsToThree_AsksForConsent()
    {
        var arrival = await AwaitingConsentAsync(2);
        var details = arrival.Details.Clone();
        details.Travellers.Add(TestArrivals.Family("0363", 1).Travellers[0]);

        var amended = (await Host.Arrivals().AmendArrivalAsync(new AmendArrivalRequest { RequestId = ArrivalSteps.NewRequestId(), ArrivalId = arrival.ArrivalId, Arrival = details })).Arrival;

        Assert.Equal(ArrivalState.AwaitingConsent, amended.State);
        Assert.Equal(3, amended.Consent.HouseholdSize);
        Assert.Equal([ArrivalSteps.Announced, ArrivalSteps.Amended, ArrivalSteps.ConsentRequested], await Host.NoticeTypesAsync(arrival.ArrivalId, "municipality:0363"));
    }

    [Fact]
    public async Task AmendArrival_HouseholdShrinksToTwo_ConsentLapsesAndItMayTravel()
    {
        var arrival = await AwaitingConsentAsync(3);
        var details = arrival.Details.Clone();
        details.Travellers.RemoveAt(2);

        var amended = (await Host.Arrivals().AmendArrivalAsync(new AmendArrivalRequest { RequestId = ArrivalSteps.NewRequestId(), ArrivalId = arrival.ArrivalId, Arrival = details })).Arrival;

        Assert.Equal(ArrivalState.Announced, amended.State);
        Assert.Equal(ConsentStatus.NotRequired, amended.Consent.Status);
        Assert.Equal(ArrivalState.Departed, (await Host.DepartAsync(arrival.ArrivalId)).State);
    }

    [Fact]
    public async Task AmendArrival_GrantedHouseholdShrinksFromFourToThree_KeepsConsent()
    {
        var arrival = await AwaitingConsentAsync(4);
        await DecideAsync(arrival.ArrivalId, ConsentStatus.Granted);
        var details = arrival.Details.Clone();
        details.Travellers.RemoveAt(3);

        var amended = (await Host.Arrivals().AmendArrivalAsync(new AmendArrivalRequest { RequestId = ArrivalSteps.NewRequestId(), ArrivalId = arrival.ArrivalId, Arrival = details })).Arrival;

        Assert.Equal(ArrivalState.Announced, amended.State);
        Assert.Equal(ConsentStatus.Granted, amended.Consent.Status);
    }

    [Fact]
    public async Task AmendArrival_MovedHousehold_NeedsTheNewMunicipalitysConsent()
    {
        var arrival = await AwaitingConsentAsync(3);
        await DecideAsync(arrival.ArrivalId, ConsentStatus.Granted);
        var details = arrival.Details.Clone();
        details.MunicipalityCode = "0344";

        var amended = (await Host.Arrivals().AmendArrivalAsync(new AmendArrivalRequest { RequestId = ArrivalSteps.NewRequestId(), ArrivalId = arrival.ArrivalId, Arrival = details })).Arrival;

        Assert.Equal(ArrivalState.AwaitingConsent, amended.State);
        Assert.Equal(ConsentStatus.Requested, amended.Consent.Status);
        Assert.Equal([ArrivalSteps.Announced, ArrivalSteps.ConsentRequested], await Host.NoticeTypesAsync(arrival.ArrivalId, "municipality:0344"));
    }
}
