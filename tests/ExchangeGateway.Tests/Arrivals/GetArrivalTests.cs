using ExchangeGateway.Contracts.V1;
using ExchangeGateway.Tests.Fixtures;
using ExchangeGateway.Tests.Shared;
using Google.Rpc;
using Grpc.Core;

namespace ExchangeGateway.Tests.Arrivals;

public sealed class GetArrivalTests(GatewayHostFixture fixture) : IClassFixture<GatewayHostFixture>
{
    private GatewayHost Host => fixture.Host;

    [Fact]
    public async Task GetArrival_AfterEachStep_ListsHistoryOldestFirstWithActors()
    {
        var details = TestArrivals.Family("0363");
        var announced = await Host.AnnounceAsync(details);
        await Host.AcknowledgeAnnouncementAsync(announced.ArrivalId);
        await Host.DepartAsync(announced.ArrivalId);
        await Host.ArriveAsync(announced.ArrivalId);

        var arrival = await Host.GetAsync(announced.ArrivalId);

        Assert.Equal(ArrivalState.Arrived, arrival.State);
        Assert.Equal(["announced", "acknowledged", "departed", "arrived"], arrival.History.Select(h => h.Action));
        Assert.Equal(["coa", "gemeente-amsterdam", "coa", "coa"], arrival.History.Select(h => h.Actor));
        Assert.Equal(arrival.History.Select(h => h.Time).OrderBy(t => t), arrival.History.Select(h => h.Time));
        Assert.NotNull(arrival.AcknowledgedAt);
        Assert.NotNull(arrival.DepartedAt);
        Assert.NotNull(arrival.ArrivedAt);
        // Descriptions are for people and never carry personal data.
        var personal = details.Travellers.SelectMany(t => new[] { t.VNumber, t.Name.GivenNames }).Append(details.Referent.VNumber);
        Assert.All(arrival.History, h => Assert.DoesNotContain(personal, p => h.Description.Contains(p, StringComparison.Ordinal)));
    }

    [Fact]
    public async Task GetArrival_ByItsMunicipality_ReturnsIt()
    {
        var announced = await Host.AnnounceAsync(TestArrivals.Family("0344"));

        var arrival = await Host.GetAsync(announced.ArrivalId, "gemeente-utrecht");

        Assert.Equal(announced.Details, arrival.Details);
        Assert.Equal(announced.Travellers, arrival.Travellers);
    }

    [Fact]
    public async Task GetArrival_ByOrganisationServingTwoCodes_ReturnsArrivalOfEither()
    {
        var announced = await Host.AnnounceAsync(TestArrivals.Family("0590"));

        var arrival = await Host.GetAsync(announced.ArrivalId, "brp-drechtsteden");

        Assert.Equal("0590", arrival.Details.MunicipalityCode);
    }

    [Fact]
    public async Task GetArrival_ByChainCoordination_ReturnsIt()
    {
        var announced = await Host.AnnounceAsync(TestArrivals.Family());

        var arrival = await Host.GetAsync(announced.ArrivalId, "ketenregie");

        Assert.Equal(announced.ArrivalId, arrival.ArrivalId);
    }

    [Fact]
    public async Task GetArrival_ByOtherMunicipality_IsNotFoundExactlyLikeNonexistentArrival()
    {
        var existing = (await Host.AnnounceAsync(TestArrivals.Family("0363"))).ArrivalId;
        var nonexistent = Guid.NewGuid().ToString();

        var foreign = await RpcAssert.ThrowsAsync(StatusCode.NotFound, () => Host.GetAsync(existing, "gemeente-utrecht"));
        var missing = await RpcAssert.ThrowsAsync(StatusCode.NotFound, () => Host.GetAsync(nonexistent, "gemeente-utrecht"));

        // Apart from the id the caller sent, the two answers are the same: nothing reveals that one exists.
        Assert.Equal(missing.Status.Detail.Replace(nonexistent, "<id>", StringComparison.Ordinal),
            foreign.Status.Detail.Replace(existing, "<id>", StringComparison.Ordinal));
        Assert.DoesNotContain("0363", foreign.Status.Detail, StringComparison.Ordinal);
        var foreignInfo = foreign.GetRpcStatus()!.GetDetail<ResourceInfo>();
        var missingInfo = missing.GetRpcStatus()!.GetDetail<ResourceInfo>();
        Assert.Equal(missingInfo.ResourceType, foreignInfo.ResourceType);
        Assert.Equal(existing, foreignInfo.ResourceName);
        Assert.Equal(missingInfo.Owner, foreignInfo.Owner);
        Assert.Equal(missingInfo.Description, foreignInfo.Description);
        Assert.Equal(missing.GetRpcStatus()!.Details.Select(d => d.TypeUrl), foreign.GetRpcStatus()!.Details.Select(d => d.TypeUrl));
    }

    [Fact]
    public async Task GetArrival_ByInd_IsPermissionDenied()
    {
        var announced = await Host.AnnounceAsync(TestArrivals.Family());

        await RpcAssert.ReasonAsync(StatusCode.PermissionDenied, "ROLE_NOT_ALLOWED", () => Host.GetAsync(announced.ArrivalId, "ind"));
    }

    [Fact]
    public async Task GetArrival_MalformedId_IsInvalidArgument()
    {
        await RpcAssert.InvalidArgumentAsync(() => Host.GetAsync("arrival-1"), "arrival_id");
    }
}
