using ExchangeGateway.Contracts.V1;
using ExchangeGateway.Server.Hosting;
using ExchangeGateway.Server.Limits;
using ExchangeGateway.Tests.Fixtures;
using Google.Rpc;
using Grpc.Core;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace ExchangeGateway.Tests.Limits;

/// <summary>The per-organisation rate limit, with a low limit and a fake clock.</summary>
public sealed class RateLimitTests
{
    private static Task<GatewayHost> StartAsync(FakeTimeProvider time, double perSecond = 1, int burst = 2) =>
        GatewayHost.StartAsync(time, configure: o =>
        {
            o.Limits.RequestsPerSecond = perSecond;
            o.Limits.RequestBurst = burst;
        });

    private static Task Get(GatewayHost host, string organisation = "coa") =>
        host.Arrivals(organisation).GetArrivalAsync(new GetArrivalRequest { ArrivalId = Guid.NewGuid().ToString() }).ResponseAsync;

    [Fact]
    public async Task GetArrival_OverBurst_ResourceExhaustedWithRetryInfoAndQuotaFailure()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var host = await StartAsync(time);

        await RpcAssert.ThrowsAsync(StatusCode.NotFound, () => Get(host));
        await RpcAssert.ThrowsAsync(StatusCode.NotFound, () => Get(host));
        var refused = await RpcAssert.ReasonAsync(StatusCode.ResourceExhausted, "RATE_LIMITED", () => Get(host));

        var status = refused.GetRpcStatus()!;
        var retry = status.GetDetail<RetryInfo>();
        Assert.NotNull(retry);
        Assert.Equal(TimeSpan.FromSeconds(1), retry.RetryDelay.ToTimeSpan());
        var quota = Assert.Single(status.GetDetail<QuotaFailure>()!.Violations);
        Assert.Equal("organisation:coa", quota.Subject);
        Assert.Contains("per second", refused.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetArrival_AfterRefill_IsServedAgain()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var host = await StartAsync(time);
        await RpcAssert.ThrowsAsync(StatusCode.NotFound, () => Get(host));
        await RpcAssert.ThrowsAsync(StatusCode.NotFound, () => Get(host));
        await RpcAssert.ThrowsAsync(StatusCode.ResourceExhausted, () => Get(host));

        time.Advance(TimeSpan.FromSeconds(1));

        await RpcAssert.ThrowsAsync(StatusCode.NotFound, () => Get(host));
        await RpcAssert.ThrowsAsync(StatusCode.ResourceExhausted, () => Get(host));
    }

    [Fact]
    public async Task GetArrival_OtherOrganisationExhausted_IsServed()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var host = await StartAsync(time, burst: 1);
        await RpcAssert.ThrowsAsync(StatusCode.NotFound, () => Get(host, "coa"));
        await RpcAssert.ThrowsAsync(StatusCode.ResourceExhausted, () => Get(host, "coa"));

        await RpcAssert.ThrowsAsync(StatusCode.NotFound, () => Get(host, "gemeente-amsterdam"));
        await RpcAssert.ThrowsAsync(StatusCode.NotFound, () => Get(host, "ketenregie"));
    }

    [Fact]
    public async Task Ping_OverLimit_IsNeverRateLimited()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var host = await StartAsync(time, burst: 1);
        var gateway = new GatewayService.GatewayServiceClient(host.ChannelFor("coa"));

        for (var i = 0; i < 20; i++)
        {
            Assert.Equal("coa", (await gateway.PingAsync(new PingRequest())).OrganisationId);
        }
        await RpcAssert.ThrowsAsync(StatusCode.NotFound, () => Get(host));
    }

    [Fact]
    public async Task Subscribe_AcknowledgementsInsideStream_AreNotRateLimited()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var host = await StartAsync(time, burst: 1);
        using var call = host.Feed("coa").Subscribe();
        await call.RequestStream.WriteAsync(new SubscribeRequest { Open = new OpenFeed() });
        Assert.True(await call.ResponseStream.MoveNext());
        Assert.Equal(SubscribeResponse.EventOneofCase.Opened, call.ResponseStream.Current.EventCase);

        // The stream took the only token; 20 acknowledgements on it are still all confirmed.
        var confirmed = 0;
        for (var i = 1; i <= 20; i++)
        {
            await call.RequestStream.WriteAsync(new SubscribeRequest { Acknowledge = new Acknowledge { Sequences = { (ulong)(1_000_000 + i) } } });
            Assert.True(await call.ResponseStream.MoveNext());
            confirmed += call.ResponseStream.Current.Acknowledged.UnknownSequences.Count;
        }
        Assert.Equal(20, confirmed);
        await RpcAssert.ThrowsAsync(StatusCode.ResourceExhausted, () => Get(host));
        await call.RequestStream.CompleteAsync();
    }

    [Fact]
    public async Task Subscribe_OverRate_IsRefusedAtOpen()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var host = await StartAsync(time, burst: 1);
        await RpcAssert.ThrowsAsync(StatusCode.NotFound, () => Get(host, "gemeente-amsterdam"));

        await RpcAssert.ReasonAsync(StatusCode.ResourceExhausted, "RATE_LIMITED", () => RefusedStream.OpenAsync(host.Feed("gemeente-amsterdam")));
    }

    [Fact]
    public void TryAcquire_Granted_AllocatesNothing()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var limiter = new OrganisationRateLimiter(time, Options.Create(new GatewayOptions { Limits = { RequestsPerSecond = 1000, RequestBurst = 100_000 } }));
        limiter.TryAcquire("coa", out _);

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 10_000; i++)
        {
            Assert.True(limiter.TryAcquire("coa", out _));
        }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void TryAcquire_SustainedAtRate_GrantsExactlyTheRate()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var limiter = new OrganisationRateLimiter(time, Options.Create(new GatewayOptions { Limits = { RequestsPerSecond = 10, RequestBurst = 5 } }));
        var granted = 0;
        for (var tick = 0; tick < 1000; tick++)
        {
            time.Advance(TimeSpan.FromMilliseconds(10));
            for (var i = 0; i < 3; i++)
            {
                granted += limiter.TryAcquire("coa", out _) ? 1 : 0;
            }
        }
        // 10 s at 10/s, plus the burst the bucket started with.
        Assert.InRange(granted, 100, 105);
    }

    [Fact]
    public void TryAcquire_Refused_SaysWhenTheNextTokenComes()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var limiter = new OrganisationRateLimiter(time, Options.Create(new GatewayOptions { Limits = { RequestsPerSecond = 4, RequestBurst = 1 } }));
        Assert.True(limiter.TryAcquire("coa", out _));
        time.Advance(TimeSpan.FromMilliseconds(100));

        Assert.False(limiter.TryAcquire("coa", out var retryAfter));

        Assert.InRange(retryAfter, TimeSpan.FromMilliseconds(149), TimeSpan.FromMilliseconds(151));
    }
}
