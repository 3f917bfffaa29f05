using ExchangeGateway.Contracts.V1;
using ExchangeGateway.Tests.Fixtures;
using ExchangeGateway.Tests.Shared;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;

namespace ExchangeGateway.Tests.Arrivals;

public sealed class ReportDepartureTests(GatewayHostFixture fixture) : IClassFixture<GatewayHostFixture>
{
    private GatewayHost Host => fixture.Host;

    private Task<ArrivalResponse> DepartAsync(string arrivalId, Timestamp? departedAt = null) =>
        Host.Arrivals().ReportDepartureAsync(new ReportDepartureRequest
        {
            RequestId = ArrivalSteps.NewRequestId(),
            ArrivalId = arrivalId,
            DepartedAt = departedAt,
        }).ResponseAsync;

    [Fact]
    public async Task ReportDeparture_Announced_IsDepartedAndMunicipalityIsTold()
    {
        var announced = await Host.AnnounceAsync(TestArrivals.Family("0363"));
        var departedAt = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow.AddHours(-1));

        var departed = (await DepartAsync(announced.ArrivalId, departedAt)).Arrival;

        Assert.Equal(ArrivalState.Departed, departed.State);
        Assert.Equal(departedAt, departed.DepartedAt);
        Assert.Equal([ArrivalSteps.Announced, ArrivalSteps.Departed], await Host.NoticeTypesAsync(announced.ArrivalId, "municipality:0363"));
        var notice = (await Host.NoticesAboutAsync(announced.ArrivalId)).Single(n => n.Type == ArrivalSteps.Departed).Notice;
        Assert.Equal(departedAt, notice.TravellersDeparted.DepartedAt);
        Assert.Equal("0363", notice.TravellersDeparted.MunicipalityCode);
    }

    [Fact]
    public async Task ReportDeparture_WithoutDepartedAt_UsesTheTimeOfTheCall()
    {
        var announced = await Host.AnnounceAsync(TestArrivals.Family());
        var before = DateTimeOffset.UtcNow;

        var departed = (await DepartAsync(announced.ArrivalId)).Arrival;

        Assert.InRange(departed.DepartedAt.ToDateTimeOffset(), before.AddSeconds(-1), DateTimeOffset.UtcNow.AddSeconds(1));
    }

    [Fact]
    public async Task ReportDeparture_Response_ListsHistoryOldestFirstLikeGetArrival()
    {
        // The response is built before the new history row is saved; it must still list it last.
        var announced = await Host.AnnounceAsync(TestArrivals.Family());
        await Host.AcknowledgeAnnouncementAsync(announced.ArrivalId);

        var departed = (await DepartAsync(announced.ArrivalId)).Arrival;

        Assert.Equal(["announced", "acknowledged", "departed"], departed.History.Select(h => h.Action));
        Assert.Equal(departed.History, (await Host.GetAsync(announced.ArrivalId)).History);
    }

    [Fact]
    public async Task ReportDeparture_NeverAnnouncedArrival_IsNotFound()
    {
        await RpcAssert.ThrowsAsync(StatusCode.NotFound, () => DepartAsync(Guid.NewGuid().ToString()));
    }

    [Fact]
    public async Task ReportDeparture_AfterCancel_IsFailedPrecondition()
    {
        var announced = await Host.AnnounceAsync(TestArrivals.Family());
        await Host.Arrivals().CancelArrivalAsync(new CancelArrivalRequest { RequestId = ArrivalSteps.NewRequestId(), ArrivalId = announced.ArrivalId, Reason = "No longer needed." });

        await RpcAssert.FailedPreconditionAsync(() => DepartAsync(announced.ArrivalId), "ARRIVAL_STATE");

        Assert.DoesNotContain(ArrivalSteps.Departed, await Host.NoticeTypesAsync(announced.ArrivalId, "municipality:0363"));
    }

    [Fact]
    public async Task ReportDeparture_Twice_IsFailedPrecondition()
    {
        var announced = await Host.AnnounceAsync(TestArrivals.Family());
        await DepartAsync(announced.ArrivalId);

        await RpcAssert.FailedPreconditionAsync(() => DepartAsync(announced.ArrivalId), "ARRIVAL_STATE");
    }

    [Fact]
    public async Task ReportDeparture_DepartedAtInFuture_IsInvalidArgument()
    {
        var announced = await Host.AnnounceAsync(TestArrivals.Family());

        await RpcAssert.InvalidArgumentAsync(
            () => DepartAsync(announced.ArrivalId, Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow.AddDays(1))), "departed_at");

        Assert.Equal(ArrivalState.Announced, (await Host.GetAsync(announced.ArrivalId)).State);
    }

    [Fact]
    public async Task ReportDeparture_MalformedId_IsInvalidArgument()
    {
        await RpcAssert.InvalidArgumentAsync(() => DepartAsync("12345"), "arrival_id");
    }
}
