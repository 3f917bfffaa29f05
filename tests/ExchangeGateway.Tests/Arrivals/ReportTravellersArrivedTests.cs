using ExchangeGateway.Contracts.V1;
using ExchangeGateway.Tests.Fixtures;
using ExchangeGateway.Tests.Shared;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;

namespace ExchangeGateway.Tests.Arrivals;

public sealed class ReportTravellersArrivedTests(GatewayHostFixture fixture) : IClassFixture<GatewayHostFixture>
{
    private GatewayHost Host => fixture.Host;

    private Task<ArrivalResponse> ArriveAsync(string arrivalId, Timestamp? arrivedAt = null) =>
        Host.Arrivals().ReportTravellersArrivedAsync(new ReportTravellersArrivedRequest
        {
            RequestId = ArrivalSteps.NewRequestId(),
            ArrivalId = arrivalId,
            ArrivedAt = arrivedAt,
        }).ResponseAsync;

    [Fact]
    public async Task ReportTravellersArrived_AfterDeparture_IsArrivedAndMunicipalityIsTold()
    {
        var announced = await Host.AnnounceAsync(TestArrivals.Family("0363"));
        await Host.DepartAsync(announced.ArrivalId, DateTimeOffset.UtcNow.AddHours(-3));
        var arrivedAt = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow.AddHours(-1));

        var arrived = (await ArriveAsync(announced.ArrivalId, arrivedAt)).Arrival;

        Assert.Equal(ArrivalState.Arrived, arrived.State);
        Assert.Equal(arrivedAt, arrived.ArrivedAt);
        Assert.Equal("arrived", arrived.History.Last().Action);
        Assert.Equal([ArrivalSteps.Announced, ArrivalSteps.Departed, ArrivalSteps.Arrived],
            await Host.NoticeTypesAsync(announced.ArrivalId, "municipality:0363"));
        var notice = (await Host.NoticesAboutAsync(announced.ArrivalId)).Single(n => n.Type == ArrivalSteps.Arrived).Notice;
        Assert.Equal(arrivedAt, notice.TravellersArrived.ArrivedAt);
    }

    [Fact]
    public async Task ReportTravellersArrived_WithoutDeparture_IsFailedPrecondition()
    {
        var announced = await Host.AnnounceAsync(TestArrivals.Family());

        var violation = await RpcAssert.FailedPreconditionAsync(() => ArriveAsync(announced.ArrivalId), "ARRIVAL_STATE");

        Assert.Contains("departed", violation.Description, StringComparison.Ordinal);
        Assert.Equal(ArrivalState.Announced, (await Host.GetAsync(announced.ArrivalId)).State);
    }

    [Fact]
    public async Task ReportTravellersArrived_ArrivedAtInFuture_IsInvalidArgument()
    {
        var announced = await Host.AnnounceAsync(TestArrivals.Family());
        await Host.DepartAsync(announced.ArrivalId);

        await RpcAssert.InvalidArgumentAsync(
            () => ArriveAsync(announced.ArrivalId, Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow.AddDays(1))), "arrived_at");

        Assert.Equal(ArrivalState.Departed, (await Host.GetAsync(announced.ArrivalId)).State);
    }

    [Fact]
    public async Task ReportTravellersArrived_BeforeTheReportedDeparture_IsInvalidArgument()
    {
        var announced = await Host.AnnounceAsync(TestArrivals.Family());
        await Host.DepartAsync(announced.ArrivalId, DateTimeOffset.UtcNow.AddHours(-1));

        await RpcAssert.InvalidArgumentAsync(
            () => ArriveAsync(announced.ArrivalId, Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow.AddHours(-2))), "arrived_at");
    }

    [Fact]
    public async Task ReportTravellersArrived_UnknownId_IsNotFound()
    {
        await RpcAssert.ThrowsAsync(StatusCode.NotFound, () => ArriveAsync(Guid.NewGuid().ToString()));
    }
}
