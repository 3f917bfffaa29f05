using ExchangeGateway.Contracts.V1;
using ExchangeGateway.Tests.Fixtures;
using ExchangeGateway.Tests.Shared;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;

namespace ExchangeGateway.Tests.Ind;

public sealed class ReportCheckInTests(GatewayHostFixture fixture) : IClassFixture<GatewayHostFixture>
{
    private GatewayHost Host => fixture.Host;

    private static ReportCheckInRequest Request(string vNumber) => new() { RequestId = ArrivalSteps.NewRequestId(), VNumber = vNumber };

    private async Task<Arrival> WithBsnsAsync(Arrival registered)
    {
        var request = new ReportBsnAssignedRequest { RequestId = ArrivalSteps.NewRequestId(), ArrivalId = registered.ArrivalId };
        request.Assignments.AddRange(registered.Details.Travellers.Select(t => new BsnAssignment { VNumber = t.VNumber, Bsn = TestArrivals.NewBsn() }));
        return (await Host.Municipality().ReportBsnAssignedAsync(request)).Arrival;
    }

    [Fact]
    public async Task ReportCheckIn_LastNareizigerWithBsn_CompletesTheArrivalAndTellsMunicipalityAndCoa()
    {
        var arrival = await WithBsnsAsync(await Host.RegisterAllAsync(await Host.AnnounceArrivedAsync(TestArrivals.Family("0363"))));
        Assert.Equal(ArrivalState.Arrived, arrival.State);

        var first = (await Host.Ind().ReportCheckInAsync(Request(arrival.Details.Travellers[0].VNumber))).Record;
        var last = (await Host.Ind().ReportCheckInAsync(Request(arrival.Details.Travellers[1].VNumber))).Record;

        Assert.Equal(TravellerState.Completed, first.TravellerState);
        Assert.Equal(ArrivalState.Arrived, first.ArrivalState);
        Assert.Equal(ArrivalState.Completed, last.ArrivalState);
        Assert.NotNull(last.CheckedInAt);
        var completed = await Host.GetAsync(arrival.ArrivalId);
        Assert.Equal(ArrivalState.Completed, completed.State);
        Assert.All(completed.Travellers, t => Assert.Equal(TravellerState.Completed, t.State));
        var notices = (await Host.NoticesAboutAsync(arrival.ArrivalId)).Where(n => n.Type == ArrivalSteps.CheckedIn).ToList();
        Assert.Equal(["coa", "coa", "municipality:0363", "municipality:0363"], notices.Select(n => n.Feed).Order());
        Assert.Contains(notices, n => n.Notice.TravellerCheckedIn.VNumber == arrival.Details.Travellers[1].VNumber);
    }

    [Fact]
    public async Task ReportCheckIn_BeforeArrival_IsRecordedAndArrivalStaysOpen()
    {
        var arrival = await Host.AnnounceAsync(TestArrivals.Family("0344", 1));

        var record = (await Host.Ind().ReportCheckInAsync(Request(arrival.Details.Travellers[0].VNumber))).Record;

        Assert.Equal(ArrivalState.Announced, record.ArrivalState);
        Assert.Equal(TravellerState.Expected, record.TravellerState);
        Assert.NotNull((await Host.GetAsync(arrival.ArrivalId)).Travellers[0].CheckedInAt);
    }

    [Fact]
    public async Task ReportCheckIn_Twice_IsFailedPrecondition()
    {
        var arrival = await Host.AnnounceAsync(TestArrivals.Family("0363", 1));
        await Host.Ind().ReportCheckInAsync(Request(arrival.Details.Travellers[0].VNumber));

        await RpcAssert.FailedPreconditionAsync(() => Host.Ind().ReportCheckInAsync(Request(arrival.Details.Travellers[0].VNumber)).ResponseAsync, "ALREADY_CHECKED_IN");
    }

    [Fact]
    public async Task ReportCheckIn_SameRequestTwice_ReturnsSameAnswerAndTellsOnce()
    {
        var arrival = await Host.AnnounceAsync(TestArrivals.Family("0363", 1));
        var request = Request(arrival.Details.Travellers[0].VNumber);

        var first = await Host.Ind().ReportCheckInAsync(request);
        var second = await Host.Ind().ReportCheckInAsync(request);

        Assert.Equal(first, second);
        Assert.Single(await Host.NoticeTypesAsync(arrival.ArrivalId, "coa"), ArrivalSteps.CheckedIn);
    }

    [Fact]
    public async Task ReportCheckIn_StatusHolder_IsFailedPreconditionNotApplicable()
    {
        var details = TestArrivals.Family("0363", 1);
        details.Kind = ArrivalKind.StatusHolderHousing;
        details.Referent = null;
        details.Travellers[0].Relation = Relation.None;
        var arrival = await Host.AnnounceAsync(details);

        await RpcAssert.FailedPreconditionAsync(() => Host.Ind().ReportCheckInAsync(Request(arrival.Details.Travellers[0].VNumber)).ResponseAsync, "CHECK_IN_NOT_APPLICABLE");
    }

    [Fact]
    public async Task ReportCheckIn_AwaitingConsent_IsFailedPrecondition()
    {
        var arrival = await Host.AnnounceAsync(TestArrivals.Family("0363", 3));

        await RpcAssert.FailedPreconditionAsync(() => Host.Ind().ReportCheckInAsync(Request(arrival.Details.Travellers[0].VNumber)).ResponseAsync, "CONSENT_REQUIRED");
    }

    [Fact]
    public async Task ReportCheckIn_UnknownOrClosedVNumber_IsNotFound()
    {
        await RpcAssert.ThrowsAsync(StatusCode.NotFound, () => Host.Ind().ReportCheckInAsync(Request(TestArrivals.NewVNumber())).ResponseAsync);
        var arrival = await Host.AnnounceAsync(TestArrivals.Family("0363", 1));
        await Host.Arrivals().CancelArrivalAsync(new CancelArrivalRequest { RequestId = ArrivalSteps.NewRequestId(), ArrivalId = arrival.ArrivalId, Reason = "Plans changed." });

        await RpcAssert.ThrowsAsync(StatusCode.NotFound, () => Host.Ind().ReportCheckInAsync(Request(arrival.Details.Travellers[0].VNumber)).ResponseAsync);
    }

    [Fact]
    public async Task ReportCheckIn_InvalidRequest_NamesEachField()
    {
        await RpcAssert.InvalidArgumentAsync(() => Host.Ind().ReportCheckInAsync(new ReportCheckInRequest { VNumber = "12ab" }).ResponseAsync,
            "request_id", "v_number");
        var future = Request(TestArrivals.NewVNumber());
        future.CheckedInAt = Timestamp.FromDateTimeOffset(Host.Time.GetUtcNow().AddDays(1));
        await RpcAssert.InvalidArgumentAsync(() => Host.Ind().ReportCheckInAsync(future).ResponseAsync, "checked_in_at");
    }

    [Theory]
    [InlineData("coa")]
    [InlineData("gemeente-amsterdam")]
    [InlineData("ketenregie")]
    public async Task ReportCheckIn_NotTheInd_IsPermissionDenied(string organisation) =>
        await RpcAssert.ThrowsAsync(StatusCode.PermissionDenied, () => Host.Ind(organisation).ReportCheckInAsync(Request(TestArrivals.NewVNumber())).ResponseAsync);
}
