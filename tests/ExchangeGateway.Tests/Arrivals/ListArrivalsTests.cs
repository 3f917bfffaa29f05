using ExchangeGateway.Contracts.V1;
using ExchangeGateway.Tests.Fixtures;
using ExchangeGateway.Tests.Shared;
using Microsoft.EntityFrameworkCore;

namespace ExchangeGateway.Tests.Arrivals;

/// <summary>The class's gateway also holds the arrivals of its other tests, so each test checks that
/// its own arrivals are (not) listed and that everything listed matches the filter.</summary>
public sealed class ListArrivalsTests(GatewayHostFixture fixture) : IClassFixture<GatewayHostFixture>
{
    private GatewayHost Host => fixture.Host;

    private async Task<List<Arrival>> ListAllAsync(ListArrivalsRequest request, string organisationId = "coa")
    {
        var all = new List<Arrival>();
        var pages = 0;
        do
        {
            var page = await Host.Arrivals(organisationId).ListArrivalsAsync(request);
            Assert.True(request.PageSize == 0 || page.Arrivals.Count <= request.PageSize, $"Page of {page.Arrivals.Count} exceeds {request.PageSize}.");
            all.AddRange(page.Arrivals);
            request = request.Clone();
            request.PageToken = page.NextPageToken;
            Assert.True(++pages < 1000, "Paging does not end.");
        }
        while (request.PageToken.Length > 0);
        return all;
    }

    [Fact]
    public async Task ListArrivals_PageSize2_ReturnsEveryArrivalOnceNewestFirst()
    {
        var ours = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            ours.Add((await Host.AnnounceAsync(TestArrivals.Family())).ArrivalId);
        }

        var listed = await ListAllAsync(new ListArrivalsRequest { PageSize = 2 });

        var ids = listed.Select(a => a.ArrivalId).ToList();
        Assert.Equal(ids.Distinct().Count(), ids.Count);
        Assert.Subset(ids.ToHashSet(), ours.ToHashSet());
        Assert.Equal(ids.OrderDescending(StringComparer.Ordinal), ids);
        await using var db = Host.Db();
        Assert.Equal(await db.Arrivals.CountAsync(), ids.Count);
        Assert.All(listed, a => Assert.Empty(a.History));
    }

    [Fact]
    public async Task ListArrivals_LastPage_HasNoNextPageToken()
    {
        var announced = await Host.AnnounceAsync(TestArrivals.Family());

        var page = await Host.Arrivals().ListArrivalsAsync(new ListArrivalsRequest { CaseReference = announced.Details.CaseReference, PageSize = 1 });

        Assert.Equal(announced.ArrivalId, Assert.Single(page.Arrivals).ArrivalId);
        Assert.Empty(page.NextPageToken);
    }

    [Fact]
    public async Task ListArrivals_FilterByState_ReturnsOnlyArrivalsInThatState()
    {
        var departed = await Host.AnnounceAsync(TestArrivals.Family());
        await Host.DepartAsync(departed.ArrivalId);
        var announced = await Host.AnnounceAsync(TestArrivals.Family());

        var listed = await ListAllAsync(new ListArrivalsRequest { State = ArrivalState.Departed, PageSize = 10 });

        Assert.All(listed, a => Assert.Equal(ArrivalState.Departed, a.State));
        Assert.Contains(listed, a => a.ArrivalId == departed.ArrivalId);
        Assert.DoesNotContain(listed, a => a.ArrivalId == announced.ArrivalId);
    }

    [Fact]
    public async Task ListArrivals_FilterByMunicipality_ReturnsOnlyThatMunicipality()
    {
        var groningen = await Host.AnnounceAsync(TestArrivals.Family("0014"));
        var amsterdam = await Host.AnnounceAsync(TestArrivals.Family("0363"));

        var listed = await ListAllAsync(new ListArrivalsRequest { MunicipalityCode = "0014" });

        Assert.All(listed, a => Assert.Equal("0014", a.Details.MunicipalityCode));
        Assert.Contains(listed, a => a.ArrivalId == groningen.ArrivalId);
        Assert.DoesNotContain(listed, a => a.ArrivalId == amsterdam.ArrivalId);
    }

    [Fact]
    public async Task ListArrivals_FilterByStateAndMunicipality_AppliesBoth()
    {
        var departedUtrecht = await Host.AnnounceAsync(TestArrivals.Family("0344"));
        await Host.DepartAsync(departedUtrecht.ArrivalId);
        var announcedUtrecht = await Host.AnnounceAsync(TestArrivals.Family("0344"));
        var departedAmsterdam = await Host.AnnounceAsync(TestArrivals.Family("0363"));
        await Host.DepartAsync(departedAmsterdam.ArrivalId);

        var listed = await ListAllAsync(new ListArrivalsRequest { MunicipalityCode = "0344", State = ArrivalState.Departed });

        Assert.All(listed, a => Assert.True(a.Details.MunicipalityCode == "0344" && a.State == ArrivalState.Departed));
        Assert.Contains(listed, a => a.ArrivalId == departedUtrecht.ArrivalId);
        Assert.DoesNotContain(listed, a => a.ArrivalId == announcedUtrecht.ArrivalId || a.ArrivalId == departedAmsterdam.ArrivalId);
    }

    [Fact]
    public async Task ListArrivals_ByMunicipality_SeesOnlyItsOwn()
    {
        var utrecht = await Host.AnnounceAsync(TestArrivals.Family("0344"));
        var amsterdam = await Host.AnnounceAsync(TestArrivals.Family("0363"));

        var listed = await ListAllAsync(new ListArrivalsRequest(), "gemeente-utrecht");

        Assert.All(listed, a => Assert.Equal("0344", a.Details.MunicipalityCode));
        Assert.Contains(listed, a => a.ArrivalId == utrecht.ArrivalId);
        Assert.DoesNotContain(listed, a => a.ArrivalId == amsterdam.ArrivalId);
    }

    [Fact]
    public async Task ListArrivals_ByMunicipalityFilteringOtherCode_ReturnsNothing()
    {
        var amsterdam = await Host.AnnounceAsync(TestArrivals.Family("0363"));

        var page = await Host.Arrivals("gemeente-utrecht").ListArrivalsAsync(new ListArrivalsRequest
        {
            MunicipalityCode = "0363",
            CaseReference = amsterdam.Details.CaseReference,
        });
        var unfiltered = await Host.Arrivals("gemeente-utrecht").ListArrivalsAsync(new ListArrivalsRequest { MunicipalityCode = "0363" });

        Assert.Empty(page.Arrivals);
        Assert.Empty(unfiltered.Arrivals);
        Assert.Empty(unfiltered.NextPageToken);
    }

    [Fact]
    public async Task ListArrivals_ByChainCoordination_SeesEveryMunicipality()
    {
        var utrecht = await Host.AnnounceAsync(TestArrivals.Family("0344"));
        var amsterdam = await Host.AnnounceAsync(TestArrivals.Family("0363"));

        var listed = await ListAllAsync(new ListArrivalsRequest { PageSize = 500 }, "ketenregie");

        Assert.Contains(listed, a => a.ArrivalId == utrecht.ArrivalId);
        Assert.Contains(listed, a => a.ArrivalId == amsterdam.ArrivalId);
    }

    [Theory]
    [InlineData("garbage")]
    [InlineData("!!not base64!!")]
    [InlineData("djE6bm90LWEtdXVpZA")] // "v1:not-a-uuid"
    public async Task ListArrivals_BadPageToken_IsInvalidArgument(string token)
    {
        await RpcAssert.InvalidArgumentAsync(
            async () => await Host.Arrivals().ListArrivalsAsync(new ListArrivalsRequest { PageToken = token }), "page_token");
    }

    [Theory]
    [InlineData(501)]
    [InlineData(-1)]
    public async Task ListArrivals_PageSizeOutOfRange_IsInvalidArgument(int pageSize)
    {
        await RpcAssert.InvalidArgumentAsync(
            async () => await Host.Arrivals().ListArrivalsAsync(new ListArrivalsRequest { PageSize = pageSize }), "page_size");
    }

    [Fact]
    public async Task ListArrivals_PageSize500_IsAccepted()
    {
        var page = await Host.Arrivals().ListArrivalsAsync(new ListArrivalsRequest { PageSize = 500 });

        Assert.True(page.Arrivals.Count <= 500);
    }

    [Fact]
    public async Task ListArrivals_ByInd_IsPermissionDenied()
    {
        await RpcAssert.ReasonAsync(Grpc.Core.StatusCode.PermissionDenied, "ROLE_NOT_ALLOWED",
            async () => await Host.Arrivals("ind").ListArrivalsAsync(new ListArrivalsRequest()));
    }
}
