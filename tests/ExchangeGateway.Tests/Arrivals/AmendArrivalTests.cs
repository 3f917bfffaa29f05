using ExchangeGateway.Contracts.V1;
using ExchangeGateway.Tests.Fixtures;
using ExchangeGateway.Tests.Shared;
using Grpc.Core;
using Microsoft.EntityFrameworkCore;

namespace ExchangeGateway.Tests.Arrivals;

public sealed class AmendArrivalTests(GatewayHostFixture fixture) : IClassFixture<GatewayHostFixture>
{
    private GatewayHost Host => fixture.Host;

    private Task<ArrivalResponse> AmendAsync(string arrivalId, ArrivalDetails details, long expectedVersion = 0) =>
        Host.Arrivals().AmendArrivalAsync(new AmendArrivalRequest
        {
            RequestId = ArrivalSteps.NewRequestId(),
            ArrivalId = arrivalId,
            Arrival = details,
            ExpectedVersion = expectedVersion,
        }).ResponseAsync;

    [Fact]
    public async Task AmendArrival_SameMunicipality_ReplacesDetailsAndSendsAmendmentNotice()
    {
        var announced = await Host.AnnounceAsync(TestArrivals.Family("0363"));
        var details = announced.Details.Clone();
        details.ExpectedArrivalDate = TestArrivals.ToDate(Host.Today().AddDays(20));
        details.DestinationAddress.HouseNumber = 42;

        var amended = (await AmendAsync(announced.ArrivalId, details, expectedVersion: announced.Version)).Arrival;

        Assert.Equal(details, amended.Details);
        Assert.Equal(ArrivalState.Announced, amended.State);
        Assert.Equal(announced.Version + 1, amended.Version);
        Assert.Equal(["announced", "amended"], amended.History.Select(h => h.Action));
        Assert.Equal([ArrivalSteps.Announced, ArrivalSteps.Amended], await Host.NoticeTypesAsync(amended.ArrivalId, "municipality:0363"));
        Assert.Equal([ArrivalSteps.TravellersAnnounced, ArrivalSteps.TravellersAnnounced], await Host.NoticeTypesAsync(amended.ArrivalId, "ind"));
        var notice = (await Host.NoticesAboutAsync(amended.ArrivalId)).Single(n => n.Type == ArrivalSteps.Amended).Notice;
        Assert.Equal(details, notice.ArrivalAmended.Details);
        Assert.Equal(amended.Version, notice.ArrivalAmended.Version);
    }

    [Fact]
    public async Task AmendArrival_ToOtherMunicipality_CancelsAtOldAnnouncesAtNewAndIsAnnouncedAgain()
    {
        var announced = await Host.AnnounceAsync(TestArrivals.Family("0363"));
        var acknowledged = await Host.AcknowledgeAnnouncementAsync(announced.ArrivalId);
        Assert.Equal(ArrivalState.Acknowledged, acknowledged.State);
        var details = acknowledged.Details.Clone();
        details.MunicipalityCode = "0344";

        var moved = (await AmendAsync(announced.ArrivalId, details)).Arrival;

        Assert.Equal(ArrivalState.Announced, moved.State);
        Assert.Null(moved.AcknowledgedAt);
        Assert.Equal("0344", moved.Details.MunicipalityCode);
        Assert.Equal("moved", moved.History.Last().Action);
        Assert.Equal([ArrivalSteps.Announced, ArrivalSteps.Cancelled], await Host.NoticeTypesAsync(moved.ArrivalId, "municipality:0363"));
        Assert.Equal([ArrivalSteps.Announced], await Host.NoticeTypesAsync(moved.ArrivalId, "municipality:0344"));
        var cancelled = (await Host.NoticesAboutAsync(moved.ArrivalId)).Single(n => n.Type == ArrivalSteps.Cancelled).Notice.ArrivalCancelled;
        Assert.Equal("0363", cancelled.MunicipalityCode);
        Assert.Contains("0344", cancelled.Reason, StringComparison.Ordinal);
        // Only the new municipality can see it now.
        await RpcAssert.ThrowsAsync(StatusCode.NotFound, () => Host.GetAsync(moved.ArrivalId, "gemeente-amsterdam"));
        Assert.Equal(moved.Version, (await Host.GetAsync(moved.ArrivalId, "gemeente-utrecht")).Version);
    }

    [Fact]
    public async Task AmendArrival_ExpectedVersionMismatch_IsFailedPreconditionAndChangesNothing()
    {
        var announced = await Host.AnnounceAsync(TestArrivals.Family());
        var details = announced.Details.Clone();
        details.DestinationAddress.HouseNumber = 7;

        var violation = await RpcAssert.FailedPreconditionAsync(
            () => AmendAsync(announced.ArrivalId, details, expectedVersion: announced.Version + 1), "VERSION_MISMATCH");

        Assert.Equal("arrivals/" + announced.ArrivalId, violation.Subject);
        var stored = await Host.GetAsync(announced.ArrivalId);
        Assert.Equal(announced.Version, stored.Version);
        Assert.Equal(announced.Details, stored.Details);
        Assert.Equal([ArrivalSteps.Announced], await Host.NoticeTypesAsync(announced.ArrivalId, "municipality:0363"));
    }

    [Fact]
    public async Task AmendArrival_AfterDeparture_IsFailedPrecondition()
    {
        var announced = await Host.AnnounceAsync(TestArrivals.Family());
        await Host.DepartAsync(announced.ArrivalId);
        var details = announced.Details.Clone();
        details.DestinationAddress.HouseNumber = 7;

        await RpcAssert.FailedPreconditionAsync(() => AmendAsync(announced.ArrivalId, details), "ARRIVAL_STATE");

        Assert.Equal(ArrivalState.Departed, (await Host.GetAsync(announced.ArrivalId)).State);
    }

    [Fact]
    public async Task AmendArrival_UnknownId_IsNotFound()
    {
        var unknown = Guid.NewGuid().ToString();

        var error = await RpcAssert.ThrowsAsync(StatusCode.NotFound, () => AmendAsync(unknown, TestArrivals.Family()));

        Assert.Contains(unknown, error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AmendArrival_MalformedId_IsInvalidArgument()
    {
        await RpcAssert.InvalidArgumentAsync(() => AmendAsync("not-a-uuid", TestArrivals.Family()), "arrival_id");
    }

    [Fact]
    public async Task AmendArrival_AddingTravellerOfAnotherOpenArrival_IsFailedPrecondition()
    {
        var other = await Host.AnnounceAsync(TestArrivals.Family(travellers: 1));
        var announced = await Host.AnnounceAsync(TestArrivals.Family(travellers: 1));
        var details = announced.Details.Clone();
        details.Travellers.Add(other.Details.Travellers[0].Clone());
        details.Travellers[1].Relation = Relation.Child;

        var violation = await RpcAssert.FailedPreconditionAsync(() => AmendAsync(announced.ArrivalId, details), "TRAVELLER_IN_OPEN_ARRIVAL");

        Assert.Equal("arrival.travellers[1].v_number", violation.Subject);
        await using var db = Host.Db();
        Assert.Equal(1, await db.Travellers.CountAsync(t => t.ArrivalId == announced.ArrivalId));
    }
}
