using ExchangeGateway.Contracts.V1;
using ExchangeGateway.Server.Limits;
using ExchangeGateway.Tests.Fixtures;
using Google.Rpc;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;

namespace ExchangeGateway.Tests.Limits;

/// <summary>The cap on feed streams one organisation may hold open.</summary>
public sealed class FeedStreamLimitTests
{
    [Fact]
    public async Task Subscribe_OverStreamsPerOrganisation_ResourceExhaustedWithQuotaFailure()
    {
        await using var host = await GatewayHost.StartAsync(configure: o => o.Limits.MaxFeedStreamsPerFeed = 2);
        await using var first = await FeedReader.OpenAsync(host.Feed("gemeente-amsterdam"));
        await using var second = await FeedReader.OpenAsync(host.Feed("gemeente-amsterdam"));

        var refused = await RpcAssert.ReasonAsync(StatusCode.ResourceExhausted, "TOO_MANY_FEED_STREAMS",
            () => RefusedStream.OpenAsync(host.Feed("gemeente-amsterdam")));

        var quota = Assert.Single(refused.GetRpcStatus()!.GetDetail<QuotaFailure>()!.Violations);
        Assert.Equal("organisation:gemeente-amsterdam", quota.Subject);
        Assert.Contains("already holds 2 notice feed streams", refused.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Subscribe_OtherOrganisationAtItsLimit_IsServed()
    {
        await using var host = await GatewayHost.StartAsync(configure: o => o.Limits.MaxFeedStreamsPerFeed = 1);
        await using var amsterdam = await FeedReader.OpenAsync(host.Feed("gemeente-amsterdam"));
        await RpcAssert.ThrowsAsync(StatusCode.ResourceExhausted, () => RefusedStream.OpenAsync(host.Feed("gemeente-amsterdam")));

        await using var utrecht = await FeedReader.OpenAsync(host.Feed("gemeente-utrecht"));
        await using var coa = await FeedReader.OpenAsync(host.Feed("coa"));

        Assert.Equal("municipality:0344", utrecht.Opened.Feed);
    }

    [Fact]
    public async Task Subscribe_AfterAStreamCloses_IsServedAgain()
    {
        await using var host = await GatewayHost.StartAsync(configure: o => o.Limits.MaxFeedStreamsPerFeed = 1);
        var slots = host.Services.GetRequiredService<FeedStreamSlots>();
        var first = await FeedReader.OpenAsync(host.Feed("gemeente-amsterdam"));
        await RpcAssert.ThrowsAsync(StatusCode.ResourceExhausted, () => RefusedStream.OpenAsync(host.Feed("gemeente-amsterdam")));

        await first.DisposeAsync();
        await Eventually.TrueAsync(() => Task.FromResult(slots.OpenCount("gemeente-amsterdam") == 0), "the closed stream's slot is released");

        await using var again = await FeedReader.OpenAsync(host.Feed("gemeente-amsterdam"));
        Assert.Equal(1, slots.OpenCount("gemeente-amsterdam"));
    }

    [Fact]
    public async Task Subscribe_RefusedOpen_TakesNoSlot()
    {
        await using var host = await GatewayHost.StartAsync(configure: o => o.Limits.MaxFeedStreamsPerFeed = 1);
        var slots = host.Services.GetRequiredService<FeedStreamSlots>();
        await using var first = await FeedReader.OpenAsync(host.Feed("gemeente-amsterdam"));
        for (var i = 0; i < 5; i++)
        {
            await RpcAssert.ThrowsAsync(StatusCode.ResourceExhausted, () => RefusedStream.OpenAsync(host.Feed("gemeente-amsterdam")));
        }
        Assert.Equal(1, slots.OpenCount("gemeente-amsterdam"));
    }

    /// <summary>CrashRecoveryTests found this: an organisation serving 20 municipality codes holds one
    /// stream per code, more than a flat per-organisation cap of 16 allowed.</summary>
    [Fact]
    public async Task Subscribe_OrganisationServingSeveralCodes_MayHoldTheLimitForEachFeed()
    {
        await using var host = await GatewayHost.StartAsync(configure: o => o.Limits.MaxFeedStreamsPerFeed = 1);
        var codes = (await new GatewayService.GatewayServiceClient(host.ChannelFor("brp-drechtsteden")).PingAsync(new PingRequest())).Feeds
            .Select(f => f["municipality:".Length..]).ToList();
        Assert.True(codes.Count > 1);
        var readers = new List<FeedReader>();
        try
        {
            foreach (var code in codes)
            {
                readers.Add(await FeedReader.OpenAsync(host.Feed("brp-drechtsteden"), new OpenFeed { MunicipalityCode = code }));
            }

            await RpcAssert.ThrowsAsync(StatusCode.ResourceExhausted, () => RefusedStream.OpenAsync(host.Feed("brp-drechtsteden")));
        }
        finally
        {
            foreach (var reader in readers)
            {
                await reader.DisposeAsync();
            }
        }
    }
}
