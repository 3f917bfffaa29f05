using ExchangeGateway.Contracts.V1;
using ExchangeGateway.Tests.Fixtures;
using ExchangeGateway.Tests.Shared;
using Grpc.Core;

namespace ExchangeGateway.Tests.Municipalities;

public sealed class ReportBsnAssignedTests(GatewayHostFixture fixture) : IClassFixture<GatewayHostFixture>
{
    private GatewayHost Host => fixture.Host;

    private static ReportBsnAssignedRequest Request(string arrivalId, params (string VNumber, string Bsn)[] assignments)
    {
        var request = new ReportBsnAssignedRequest { RequestId = ArrivalSteps.NewRequestId(), ArrivalId = arrivalId };
        request.Assignments.AddRange(assignments.Select(a => new BsnAssignment { VNumber = a.VNumber, Bsn = a.Bsn }));
        return request;
    }

    private Task<ArrivalResponse> AssignAsync(string arrivalId, params (string VNumber, string Bsn)[] assignments) =>
        Host.Municipality("gemeente-amsterdam").ReportBsnAssignedAsync(Request(arrivalId, assignments)).ResponseAsync;

    private async Task<Arrival> RegisteredArrivalAsync(int travellers = 2) =>
        await Host.RegisterAllAsync(await Host.AnnounceArrivedAsync(TestArrivals.Family("0363", travellers)));

    [Fact]
    public async Task ReportBsnAssigned_EveryTravellerAfterIndCheckIn_CompletesArrivalAndTellsCoaAndInd()
    {
        var arrival = await RegisteredArrivalAsync();
        var (first, second) = (TestArrivals.NewBsn(), TestArrivals.NewBsn());
        var request = Request(arrival.ArrivalId, (arrival.Details.Travellers[0].VNumber, first), (arrival.Details.Travellers[1].VNumber, second));
        request.Assignments[0].ANumber = "9376096018"; // passes rule R1585
        await Host.CheckInAllAsync(arrival);

        var completed = (await Host.Municipality().ReportBsnAssignedAsync(request)).Arrival;

        Assert.Equal(ArrivalState.Completed, completed.State);
        Assert.Equal([first, second], completed.Travellers.Select(t => t.Bsn));
        Assert.Equal("9376096018", completed.Travellers[0].ANumber);
        Assert.All(completed.Travellers, t => Assert.NotNull(t.BsnAssignedAt));
        Assert.Equal("bsn-assigned", completed.History.Last().Action);
        var notices = (await Host.NoticesAboutAsync(arrival.ArrivalId)).Where(n => n.Type == ArrivalSteps.BsnAssigned).ToList();
        Assert.Equal(["coa", "ind"], notices.Select(n => n.Feed));
        Assert.All(notices, n => Assert.Equal([first, second], n.Notice.BsnAssigned.Travellers.Select(t => t.Bsn)));
    }

    [Fact]
    public async Task ReportBsnAssigned_SomeTravellers_StaysArrived()
    {
        var arrival = await RegisteredArrivalAsync();

        var reported = (await AssignAsync(arrival.ArrivalId, (arrival.Details.Travellers[0].VNumber, TestArrivals.NewBsn()))).Arrival;

        Assert.Equal(ArrivalState.Arrived, reported.State);
        Assert.NotEmpty(reported.Travellers[0].Bsn);
        Assert.Empty(reported.Travellers[1].Bsn);
    }

    [Fact]
    public async Task ReportBsnAssigned_BsnFailingElevenTest_IsInvalidArgumentOnBsn()
    {
        var arrival = await RegisteredArrivalAsync();

        await RpcAssert.InvalidArgumentAsync(() => AssignAsync(arrival.ArrivalId, (arrival.Details.Travellers[0].VNumber, "123456789")), "assignments[0].bsn");

        Assert.Empty((await Host.GetAsync(arrival.ArrivalId)).Travellers[0].Bsn);
    }

    [Fact]
    public async Task ReportBsnAssigned_InvalidANummer_IsInvalidArgumentOnANumber()
    {
        var arrival = await RegisteredArrivalAsync();
        var request = Request(arrival.ArrivalId, (arrival.Details.Travellers[0].VNumber, TestArrivals.NewBsn()));
        request.Assignments[0].ANumber = "1234567890";

        await RpcAssert.InvalidArgumentAsync(async () => await Host.Municipality().ReportBsnAssignedAsync(request), "assignments[0].a_number");
    }

    [Fact]
    public async Task ReportBsnAssigned_BeforeRegistration_IsFailedPrecondition()
    {
        var arrival = await Host.AnnounceArrivedAsync(TestArrivals.Family());

        var violation = await RpcAssert.FailedPreconditionAsync(
            () => AssignAsync(arrival.ArrivalId, (arrival.Details.Travellers[0].VNumber, TestArrivals.NewBsn())), "NOT_REGISTERED");

        Assert.Equal("assignments[0]", violation.Subject);
    }

    [Fact]
    public async Task ReportBsnAssigned_SecondDifferentBsn_IsFailedPrecondition()
    {
        var arrival = await RegisteredArrivalAsync();
        var vNumber = arrival.Details.Travellers[0].VNumber;
        var bsn = TestArrivals.NewBsn();
        await AssignAsync(arrival.ArrivalId, (vNumber, bsn));

        await RpcAssert.FailedPreconditionAsync(() => AssignAsync(arrival.ArrivalId, (vNumber, TestArrivals.NewBsn())), "BSN_ALREADY_ASSIGNED");

        Assert.Equal(bsn, (await Host.GetAsync(arrival.ArrivalId)).Travellers[0].Bsn);
    }

    [Fact]
    public async Task ReportBsnAssigned_BsnOfAnotherPerson_IsFailedPrecondition()
    {
        var arrival = await RegisteredArrivalAsync();
        var bsn = TestArrivals.NewBsn();
        await AssignAsync(arrival.ArrivalId, (arrival.Details.Travellers[0].VNumber, bsn));
        var other = await RegisteredArrivalAsync(travellers: 1);

        var violation = await RpcAssert.FailedPreconditionAsync(
            () => AssignAsync(other.ArrivalId, (other.Details.Travellers[0].VNumber, bsn)), "BSN_IN_USE");

        Assert.Equal("assignments[0].bsn", violation.Subject);
        Assert.Empty((await Host.GetAsync(other.ArrivalId)).Travellers[0].Bsn);
    }

    [Fact]
    public async Task ReportBsnAssigned_SecondDifferentBsnRetried_IsRefusedAndEscalatedOnceToMunicipalityIndAndChain()
    {
        var arrival = await RegisteredArrivalAsync();
        var vNumber = arrival.Details.Travellers[1].VNumber;
        var (bsn, other) = (TestArrivals.NewBsn(), TestArrivals.NewBsn());
        await AssignAsync(arrival.ArrivalId, (vNumber, bsn));
        var refused = Request(arrival.ArrivalId, (vNumber, other));

        await RpcAssert.FailedPreconditionAsync(async () => await Host.Municipality().ReportBsnAssignedAsync(refused), "BSN_ALREADY_ASSIGNED");
        // The client retries the refused request with its request_id, then sends it once more as a new request.
        await RpcAssert.FailedPreconditionAsync(async () => await Host.Municipality().ReportBsnAssignedAsync(refused), "BSN_ALREADY_ASSIGNED");
        await RpcAssert.FailedPreconditionAsync(() => AssignAsync(arrival.ArrivalId, (vNumber, other)), "BSN_ALREADY_ASSIGNED");

        var escalated = await Host.GetAsync(arrival.ArrivalId);
        Assert.Equal(bsn, escalated.Travellers[1].Bsn);
        var escalation = Assert.Single(escalated.Escalations, e => e.Kind == EscalationKind.IdentifierConflict);
        Assert.Contains("traveller 2 ", escalation.Description, StringComparison.Ordinal);
        Assert.Contains("BSN_ALREADY_ASSIGNED", escalation.Description, StringComparison.Ordinal);
        Assert.Null(escalation.ResolvedAt);
        AssertNoPersonalData(escalation.Description, arrival, bsn, other);
        var history = Assert.Single(escalated.History, h => h.Action == "escalated");
        Assert.Equal(escalation.Description, history.Description);
        Assert.Equal("exchange-gateway", history.Actor);
        await AssertEscalationNoticesAsync(arrival.ArrivalId, escalation);
    }

    [Fact]
    public async Task ReportBsnAssigned_BsnOfAnotherPersonRetried_IsRefusedAndEscalatedOnceOnTheReportedArrival()
    {
        var holder = await RegisteredArrivalAsync();
        var bsn = TestArrivals.NewBsn();
        await AssignAsync(holder.ArrivalId, (holder.Details.Travellers[0].VNumber, bsn));
        var arrival = await RegisteredArrivalAsync(travellers: 1);

        for (var attempt = 0; attempt < 2; attempt++)
        {
            await RpcAssert.FailedPreconditionAsync(() => AssignAsync(arrival.ArrivalId, (arrival.Details.Travellers[0].VNumber, bsn)), "BSN_IN_USE");
        }

        var escalated = await Host.GetAsync(arrival.ArrivalId);
        Assert.Empty(escalated.Travellers[0].Bsn);
        var escalation = Assert.Single(escalated.Escalations);
        Assert.Equal(EscalationKind.IdentifierConflict, escalation.Kind);
        Assert.Contains("traveller 1 ", escalation.Description, StringComparison.Ordinal);
        Assert.Contains("BSN_IN_USE", escalation.Description, StringComparison.Ordinal);
        AssertNoPersonalData(escalation.Description, arrival, bsn);
        AssertNoPersonalData(escalation.Description, holder, bsn);
        Assert.Empty((await Host.GetAsync(holder.ArrivalId)).Escalations);
        await AssertEscalationNoticesAsync(arrival.ArrivalId, escalation);
    }

    [Fact]
    public async Task ReportBsnAssigned_TwoDifferentConflicts_EscalatesEach()
    {
        var arrival = await RegisteredArrivalAsync();
        var (first, second) = (arrival.Details.Travellers[0].VNumber, arrival.Details.Travellers[1].VNumber);
        var bsn = TestArrivals.NewBsn();
        await AssignAsync(arrival.ArrivalId, (first, bsn));

        await RpcAssert.FailedPreconditionAsync(() => AssignAsync(arrival.ArrivalId, (first, TestArrivals.NewBsn())), "BSN_ALREADY_ASSIGNED");
        await RpcAssert.FailedPreconditionAsync(() => AssignAsync(arrival.ArrivalId, (second, bsn)), "BSN_IN_USE");

        var escalations = (await Host.GetAsync(arrival.ArrivalId)).Escalations;
        Assert.Equal(2, escalations.Count(e => e.Kind == EscalationKind.IdentifierConflict));
    }

    [Fact]
    public async Task ReportBsnAssigned_NotRegistered_IsRefusedWithoutEscalation()
    {
        var arrival = await Host.AnnounceArrivedAsync(TestArrivals.Family());

        await RpcAssert.FailedPreconditionAsync(
            () => AssignAsync(arrival.ArrivalId, (arrival.Details.Travellers[0].VNumber, TestArrivals.NewBsn())), "NOT_REGISTERED");

        Assert.Empty((await Host.GetAsync(arrival.ArrivalId)).Escalations);
    }

    /// <summary>One escalation notice each to the arrival's municipality, the IND and chain
    /// coordination (not COA), all about <paramref name="escalation"/>.</summary>
    private async Task AssertEscalationNoticesAsync(string arrivalId, Escalation escalation)
    {
        var notices = (await Host.NoticesAboutAsync(arrivalId)).Where(n => n.Type == "nl.asielketen.escalatie").ToList();
        Assert.Equal(["chain", "ind", "municipality:0363"], notices.Select(n => n.Feed).Order(StringComparer.Ordinal));
        Assert.All(notices, n =>
        {
            Assert.Equal(escalation, n.Notice.EscalationRaised.Escalation);
            Assert.Equal("0363", n.Notice.EscalationRaised.MunicipalityCode);
            Assert.Equal(arrivalId, n.Notice.Subject);
        });
    }

    private static void AssertNoPersonalData(string text, Arrival arrival, params string[] bsns)
    {
        var identifiers = bsns
            .Concat(arrival.Details.Travellers.Select(t => t.VNumber))
            .Append(arrival.Details.Referent.VNumber)
            .Concat(arrival.Details.Travellers.Select(t => t.Name.GivenNames));
        Assert.All(identifiers, identifier => Assert.DoesNotContain(identifier, text, StringComparison.Ordinal));
    }

    [Fact]
    public async Task ReportBsnAssigned_BsnOfOtherTravellerOfSameArrival_IsFailedPrecondition()
    {
        var arrival = await RegisteredArrivalAsync();
        var bsn = TestArrivals.NewBsn();
        await AssignAsync(arrival.ArrivalId, (arrival.Details.Travellers[0].VNumber, bsn));

        await RpcAssert.FailedPreconditionAsync(() => AssignAsync(arrival.ArrivalId, (arrival.Details.Travellers[1].VNumber, bsn)), "BSN_IN_USE");
    }

    [Fact]
    public async Task ReportBsnAssigned_SameBsnTwiceInOneRequest_IsInvalidArgument()
    {
        var arrival = await RegisteredArrivalAsync();
        var bsn = TestArrivals.NewBsn();

        await RpcAssert.InvalidArgumentAsync(() => AssignAsync(arrival.ArrivalId,
            (arrival.Details.Travellers[0].VNumber, bsn), (arrival.Details.Travellers[1].VNumber, bsn)), "assignments");
    }

    [Fact]
    public async Task ReportBsnAssigned_SameRequestTwice_ReturnsSameAnswerAndTellsOnce()
    {
        var arrival = await RegisteredArrivalAsync();
        var request = Request(arrival.ArrivalId,
            (arrival.Details.Travellers[0].VNumber, TestArrivals.NewBsn()), (arrival.Details.Travellers[1].VNumber, TestArrivals.NewBsn()));

        var first = await Host.Municipality().ReportBsnAssignedAsync(request);
        var second = await Host.Municipality().ReportBsnAssignedAsync(request);

        Assert.Equal(first, second);
        Assert.All(second.Arrival.Travellers, t => Assert.Equal(TravellerState.BsnAssigned, t.State)); // nareizigers: the IND check-in is still open
        Assert.Single(await Host.NoticeTypesAsync(arrival.ArrivalId, "coa"), ArrivalSteps.BsnAssigned);
    }

    [Fact]
    public async Task ReportBsnAssigned_ByOtherMunicipality_IsNotFound()
    {
        var arrival = await RegisteredArrivalAsync();

        await RpcAssert.ThrowsAsync(StatusCode.NotFound, async () => await Host.Municipality("gemeente-groningen")
            .ReportBsnAssignedAsync(Request(arrival.ArrivalId, (arrival.Details.Travellers[0].VNumber, TestArrivals.NewBsn()))));
    }

    [Fact]
    public async Task ReportBsnAssigned_ByCoa_IsPermissionDenied()
    {
        var arrival = await RegisteredArrivalAsync();

        await RpcAssert.ReasonAsync(StatusCode.PermissionDenied, "ROLE_NOT_ALLOWED", async () => await Host.Municipality("coa")
            .ReportBsnAssignedAsync(Request(arrival.ArrivalId, (arrival.Details.Travellers[0].VNumber, TestArrivals.NewBsn()))));
    }
}
