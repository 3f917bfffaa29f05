using System.Net;
using System.Text;
using System.Text.Json;
using ExchangeGateway.Contracts.V1;
using ExchangeGateway.Tests.Fixtures;
using ExchangeGateway.Tests.Shared;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Time.Testing;

namespace ExchangeGateway.Tests.Feed;

/// <summary>PullFeedService: fetching leases notices in the same feed engine as streams, so the feed's
/// promises hold for pollers too.</summary>
public sealed class PullFeedTests
{
    private static readonly TimeSpan Redelivery = TimeSpan.FromSeconds(30);

    private static Task<GatewayHost> StartAsync(FakeTimeProvider? time = null) =>
        GatewayHost.StartAsync(time, configure: options => options.RedeliveryTimeout = Redelivery);

    private static PullFeedService.PullFeedServiceClient Pull(GatewayHost host, string organisationId = "gemeente-amsterdam") =>
        new(host.ChannelFor(organisationId));

    private static Task<FetchNoticesResponse> FetchAsync(GatewayHost host, uint max = 0, TimeSpan? wait = null, string organisationId = "gemeente-amsterdam") =>
        Pull(host, organisationId).FetchNoticesAsync(new FetchNoticesRequest { MaxNotices = max, Wait = wait is { } w ? Duration.FromTimeSpan(w) : null }).ResponseAsync;

    private static Task<AcknowledgeNoticesResponse> AcknowledgeAsync(GatewayHost host, IEnumerable<ulong> sequences, string organisationId = "gemeente-amsterdam")
    {
        var request = new AcknowledgeNoticesRequest();
        request.Sequences.AddRange(sequences);
        return Pull(host, organisationId).AcknowledgeNoticesAsync(request).ResponseAsync;
    }

    [Fact]
    public async Task FetchNotices_AfterAnAnnouncement_LeasesItAndAcknowledgingMakesItDurable()
    {
        await using var host = await StartAsync();
        var arrival = await host.AnnounceAsync(TestArrivals.Family("0363"));

        var fetched = await FetchAsync(host, wait: TimeSpan.FromSeconds(5));

        var notice = Assert.Single(fetched.Notices);
        Assert.Equal(arrival.ArrivalId, notice.Subject);
        Assert.Equal(Notice.PayloadOneofCase.ArrivalAnnounced, notice.PayloadCase);
        Assert.Equal(0u, notice.RedeliveryCount);
        Assert.False(string.IsNullOrEmpty(fetched.LeaseId));
        var confirmed = await AcknowledgeAsync(host, [notice.Sequence]);
        Assert.Equal([notice.Sequence], confirmed.Sequences);
        Assert.Equal(ArrivalState.Acknowledged, (await host.GetAsync(arrival.ArrivalId)).State);
        await using var db = host.Db();
        Assert.NotNull((await db.Notices.SingleAsync(n => n.FeedId == "municipality:0363" && n.Sequence == (long)notice.Sequence)).AcknowledgedAt);
        Assert.Empty((await FetchAsync(host)).Notices);
    }

    [Fact]
    public async Task FetchNotices_TwoPollersAtOnce_NeverHoldTheSameNotice()
    {
        await using var host = await StartAsync();
        for (var i = 0; i < 6; i++)
        {
            await host.AnnounceAsync(TestArrivals.Family("0363"));
        }

        var both = await Task.WhenAll(FetchAsync(host, max: 4, wait: TimeSpan.FromSeconds(5)), FetchAsync(host, max: 4, wait: TimeSpan.FromSeconds(5)));

        var sequences = both.SelectMany(f => f.Notices).Select(n => n.Sequence).ToList();
        Assert.Equal(6, sequences.Count);
        Assert.Equal(sequences.Count, sequences.Distinct().Count());
        Assert.Empty((await FetchAsync(host)).Notices); // all six are leased
    }

    [Fact]
    public async Task FetchNotices_LeaseExpired_FetchedAgainWithAHigherRedeliveryCount()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var host = await StartAsync(time);
        var arrival = await host.AnnounceAsync(TestArrivals.Family("0363", time: time));
        var first = Assert.Single((await FetchAsync(host, wait: TimeSpan.FromSeconds(5))).Notices);

        Assert.Empty((await FetchAsync(host)).Notices); // leased
        time.Advance(Redelivery + TimeSpan.FromSeconds(1));
        var again = Assert.Single((await FetchAsync(host)).Notices);

        Assert.Equal(first.NoticeId, again.NoticeId);
        Assert.Equal(first.Sequence, again.Sequence);
        Assert.Equal(1u, again.RedeliveryCount);
        Assert.Equal(arrival.ArrivalId, again.Subject);
    }

    [Fact]
    public async Task AcknowledgeNotices_AfterTheLeaseExpired_StillAcceptedAndNotFetchedAgain()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var host = await StartAsync(time);
        var arrival = await host.AnnounceAsync(TestArrivals.Family("0363", time: time));
        var notice = Assert.Single((await FetchAsync(host, wait: TimeSpan.FromSeconds(5))).Notices);
        time.Advance(Redelivery + TimeSpan.FromSeconds(1));

        var confirmed = await AcknowledgeAsync(host, [notice.Sequence]);

        Assert.Equal([notice.Sequence], confirmed.Sequences);
        Assert.Empty((await FetchAsync(host)).Notices);
        Assert.Equal(ArrivalState.Acknowledged, (await host.GetAsync(arrival.ArrivalId)).State);
    }

    [Fact]
    public async Task FetchNotices_TwoNoticesAboutOneArrival_TheSecondOnlyOnceTheFirstIsAcknowledged()
    {
        await using var host = await StartAsync();
        var arrival = await host.AnnounceAsync(TestArrivals.Family("0363"));
        await host.Arrivals().CancelArrivalAsync(new CancelArrivalRequest { RequestId = ArrivalSteps.NewRequestId(), ArrivalId = arrival.ArrivalId, Reason = "test" });

        var first = Assert.Single((await FetchAsync(host, max: 10, wait: TimeSpan.FromSeconds(5))).Notices);
        Assert.Equal(Notice.PayloadOneofCase.ArrivalAnnounced, first.PayloadCase);
        Assert.Empty((await FetchAsync(host, max: 10)).Notices);
        await AcknowledgeAsync(host, [first.Sequence]);
        var second = Assert.Single((await FetchAsync(host, max: 10, wait: TimeSpan.FromSeconds(5))).Notices);

        Assert.Equal(Notice.PayloadOneofCase.ArrivalCancelled, second.PayloadCase);
        Assert.True(second.Sequence > first.Sequence);
    }

    [Fact]
    public async Task FetchNotices_NothingThereThenAnAnnouncement_TheWaitingFetchAnswersWithIt()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var host = await StartAsync(time);
        Assert.Empty((await FetchAsync(host)).Notices);

        var waiting = FetchAsync(host, wait: TimeSpan.FromSeconds(15));
        var arrival = await host.AnnounceAsync(TestArrivals.Family("0363", time: time));
        var fetched = await waiting;

        Assert.Equal(arrival.ArrivalId, Assert.Single(fetched.Notices).Subject);
    }

    [Fact]
    public async Task FetchNotices_NothingThere_AnswersEmptyOnceTheWaitIsOver()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var host = await StartAsync(time);
        Assert.Empty((await FetchAsync(host)).Notices);

        var waiting = FetchAsync(host, wait: TimeSpan.FromSeconds(15));
        await Eventually.TrueAsync(() =>
        {
            time.Advance(TimeSpan.FromSeconds(1));
            return Task.FromResult(waiting.IsCompleted);
        }, "the fetch answers once its wait is over");

        Assert.Empty((await waiting).Notices);
    }

    [Fact]
    public async Task FetchNotices_AStreamOnTheSameFeed_NoticeOnOneOfThemOnly()
    {
        await using var host = await StartAsync();
        await using var stream = await FeedReader.OpenAsync(host.Feed("gemeente-amsterdam"), new OpenFeed { MaxUnacknowledged = 2 });
        for (var i = 0; i < 5; i++)
        {
            await host.AnnounceAsync(TestArrivals.Family("0363"));
        }
        var onStream = new List<ulong> { (await stream.NextNoticeAsync()).Sequence, (await stream.NextNoticeAsync()).Sequence };

        var fetched = (await FetchAsync(host, max: 10, wait: TimeSpan.FromSeconds(5))).Notices.Select(n => n.Sequence).ToList();

        Assert.Equal(3, fetched.Count);
        Assert.Empty(fetched.Intersect(onStream));
    }

    [Theory]
    [InlineData(501u, 0.0, "max_notices")]
    [InlineData(0u, 21.0, "wait")]
    [InlineData(0u, -1.0, "wait")]
    public async Task FetchNotices_OutOfBounds_InvalidArgumentNamingTheField(uint max, double waitSeconds, string field)
    {
        await using var host = await StartAsync();

        await RpcAssert.InvalidArgumentAsync(() => FetchAsync(host, max, TimeSpan.FromSeconds(waitSeconds)), field);
    }

    [Fact]
    public async Task FetchNotices_WaitOverHalfTheCallLimit_InvalidArgument()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var host = await GatewayHost.StartAsync(time, configure: o => o.Limits.MaxUnaryCallDuration = TimeSpan.FromSeconds(4));

        await RpcAssert.InvalidArgumentAsync(() => FetchAsync(host, wait: TimeSpan.FromSeconds(3)), "wait");
        var halfTheLimit = FetchAsync(host, wait: TimeSpan.FromSeconds(2));
        await Eventually.TrueAsync(() =>
        {
            time.Advance(TimeSpan.FromSeconds(1));
            return Task.FromResult(halfTheLimit.IsCompleted);
        }, "a fetch waiting half the call limit answers");
        Assert.Empty((await halfTheLimit).Notices);
    }

    [Fact]
    public async Task FetchNotices_AnotherMunicipalitysFeed_PermissionDenied()
    {
        await using var host = await StartAsync();

        await RpcAssert.ThrowsAsync(StatusCode.PermissionDenied, () => Pull(host).FetchNoticesAsync(new FetchNoticesRequest { MunicipalityCode = "0344" }).ResponseAsync);
    }

    [Fact]
    public async Task AcknowledgeNotices_UnknownSequence_ReportedUnknown()
    {
        await using var host = await StartAsync();

        var confirmed = await AcknowledgeAsync(host, [999_999]);

        Assert.Empty(confirmed.Sequences);
        Assert.Equal([999_999ul], confirmed.UnknownSequences);
    }

    [Fact]
    public async Task Rest_FetchAndAcknowledge_OverJson()
    {
        await using var host = await StartAsync();
        var arrival = await host.AnnounceAsync(TestArrivals.Family("0363"));
        using var client = host.RestClient("gemeente-amsterdam");

        using var fetched = await client.PostAsync("/v1/notice-leases", new StringContent("{\"maxNotices\":10,\"wait\":\"5s\"}", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, fetched.StatusCode);
        var notice = Assert.Single(FetchNoticesResponse.Parser.ParseJson(await fetched.Content.ReadAsStringAsync()).Notices);
        Assert.Equal(arrival.ArrivalId, notice.ArrivalAnnounced.ArrivalId);
        using var acknowledged = await client.PostAsync("/v1/notice-acknowledgements",
            new StringContent($"{{\"sequences\":[\"{notice.Sequence}\"]}}", Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.OK, acknowledged.StatusCode);
        var sequences = JsonDocument.Parse(await acknowledged.Content.ReadAsStringAsync()).RootElement.GetProperty("sequences");
        Assert.Equal(notice.Sequence.ToString(System.Globalization.CultureInfo.InvariantCulture), sequences[0].ToString());
        Assert.Equal(ArrivalState.Acknowledged, (await host.GetAsync(arrival.ArrivalId)).State);
    }
}
