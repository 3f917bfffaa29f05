using ExchangeGateway.Contracts.V1;
using ExchangeGateway.Tests.Fixtures;
using ExchangeGateway.Tests.Shared;
using Grpc.Core;

namespace ExchangeGateway.Tests.Arrivals;

public sealed class CancelArrivalTests(GatewayHostFixture fixture) : IClassFixture<GatewayHostFixture>
{
    private GatewayHost Host => fixture.Host;

    private Task<ArrivalResponse> CancelAsync(string arrivalId, string reason = "Housing fell through.", string? requestId = null) =>
        Host.Arrivals().CancelArrivalAsync(new CancelArrivalRequest
        {
            RequestId = requestId ?? ArrivalSteps.NewRequestId(),
            ArrivalId = arrivalId,
            Reason = reason,
        }).ResponseAsync;

    [Fact]
    public async Task CancelArrival_Announced_IsCancelledAndMunicipalityAndIndAreTold()
    {
        var announced = await Host.AnnounceAsync(TestArrivals.Family("0363"));

        var cancelled = (await CancelAsync(announced.ArrivalId, "Housing fell through.")).Arrival;

        Assert.Equal(ArrivalState.Cancelled, cancelled.State);
        Assert.Equal("Housing fell through.", cancelled.CancellationReason);
        Assert.NotNull(cancelled.CancelledAt);
        Assert.Equal("cancelled", cancelled.History.Last().Action);
        var notices = (await Host.NoticesAboutAsync(announced.ArrivalId)).Where(n => n.Type == ArrivalSteps.Cancelled).ToList();
        Assert.Equal(["ind", "municipality:0363"], notices.Select(n => n.Feed));
        Assert.All(notices, n => Assert.Equal("Housing fell through.", n.Notice.ArrivalCancelled.Reason));
    }

    [Fact]
    public async Task CancelArrival_Acknowledged_IsCancelled()
    {
        var announced = await Host.AnnounceAsync(TestArrivals.Family());
        await Host.AcknowledgeAnnouncementAsync(announced.ArrivalId);

        var cancelled = (await CancelAsync(announced.ArrivalId)).Arrival;

        Assert.Equal(ArrivalState.Cancelled, cancelled.State);
    }

    [Fact]
    public async Task CancelArrival_TwiceWithNewRequestId_SecondIsFailedPrecondition()
    {
        var announced = await Host.AnnounceAsync(TestArrivals.Family());
        var first = (await CancelAsync(announced.ArrivalId)).Arrival;

        await RpcAssert.FailedPreconditionAsync(() => CancelAsync(announced.ArrivalId), "ARRIVAL_STATE");

        Assert.Equal(first.Version, (await Host.GetAsync(announced.ArrivalId)).Version);
        Assert.Single(await Host.NoticeTypesAsync(announced.ArrivalId, "municipality:0363"), ArrivalSteps.Cancelled);
    }

    [Fact]
    public async Task CancelArrival_SameRequestIdTwice_ReturnsFirstAnswer()
    {
        var announced = await Host.AnnounceAsync(TestArrivals.Family());
        var requestId = ArrivalSteps.NewRequestId();

        var first = await CancelAsync(announced.ArrivalId, requestId: requestId);
        var second = await CancelAsync(announced.ArrivalId, requestId: requestId);

        Assert.Equal(first, second);
        Assert.Single(await Host.NoticeTypesAsync(announced.ArrivalId, "municipality:0363"), ArrivalSteps.Cancelled);
    }

    [Fact]
    public async Task CancelArrival_MissingReason_IsInvalidArgumentOnReason()
    {
        var announced = await Host.AnnounceAsync(TestArrivals.Family());

        await RpcAssert.InvalidArgumentAsync(() => CancelAsync(announced.ArrivalId, reason: ""), "reason");

        Assert.Equal(ArrivalState.Announced, (await Host.GetAsync(announced.ArrivalId)).State);
    }

    [Fact]
    public async Task CancelArrival_AfterArrival_IsFailedPrecondition()
    {
        var arrived = await Host.AnnounceArrivedAsync(TestArrivals.Family());

        await RpcAssert.FailedPreconditionAsync(() => CancelAsync(arrived.ArrivalId), "ARRIVAL_STATE");
    }

    [Fact]
    public async Task CancelArrival_UnknownId_IsNotFound()
    {
        await RpcAssert.ThrowsAsync(StatusCode.NotFound, () => CancelAsync(Guid.NewGuid().ToString()));
    }

    [Fact]
    public async Task CancelArrival_Cancelled_FreesTravellersForANewAnnouncement()
    {
        var announced = await Host.AnnounceAsync(TestArrivals.Family());
        await CancelAsync(announced.ArrivalId);
        var again = announced.Details.Clone();
        again.CaseReference += "-2";

        var second = await Host.AnnounceAsync(again);

        Assert.Equal(ArrivalState.Announced, second.State);
    }
}
