using ExchangeGateway.Contracts.V1;
using ExchangeGateway.Server.Chain;
using ExchangeGateway.Tests.Fixtures;
using ExchangeGateway.Tests.Shared;
using Google.Protobuf.WellKnownTypes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace ExchangeGateway.Tests.Chain;

/// <summary>Feed presence and lag snapshots as the overview and a municipality's overview show them,
/// reported when the test says so on a clock it moves.</summary>
public sealed class FeedStatusReporterTests
{
    private static FakeTimeProvider NewClock()
    {
        var now = DateTimeOffset.UtcNow;
        return new FakeTimeProvider(now.AddTicks(-(now.Ticks % TimeSpan.TicksPerSecond)));
    }

    /// <summary>Presence is reported when the test says so unless <paramref name="presenceInterval"/> is given.</summary>
    private static Task<GatewayHost> StartAsync(FakeTimeProvider time, TimeSpan? presenceInterval = null) =>
        GatewayHost.StartAsync(time, configure: options =>
        {
            options.Dashboard.PresenceInterval = presenceInterval ?? TimeSpan.FromDays(30);
            options.Dashboard.LagSnapshotInterval = TimeSpan.FromMinutes(5);
            options.Dashboard.StaleAcknowledgementAfter = TimeSpan.FromMinutes(20);
        });

    private static FeedStatusReporter Reporter(GatewayHost host) => host.Services.GetRequiredService<FeedStatusReporter>();

    private static async Task<GetMunicipalityOverviewResponse> MunicipalityAsync(GatewayHost host, string code, string organisationId = "ketenregie", int seriesDays = 0) =>
        await new ChainService.ChainServiceClient(host.ChannelFor(organisationId))
            .GetMunicipalityOverviewAsync(new GetMunicipalityOverviewRequest { MunicipalityCode = code, SeriesDays = seriesDays });

    [Fact]
    public async Task ReportPresence_StreamOpenThenClosed_ShowsStreamsLastAcknowledgementAndConnection()
    {
        var time = NewClock();
        await using var host = await StartAsync(time);
        var arrival = await host.AnnounceAsync(TestArrivals.Family("0363", time: time));
        var acknowledgedAt = time.GetUtcNow();

        var reader = await FeedReader.OpenAsync(host.Feed("gemeente-amsterdam"), new OpenFeed { MunicipalityCode = "0363" });
        var notice = await reader.NextNoticeAsync();
        await reader.AcknowledgeAsync(notice.Sequence);
        await Reporter(host).ReportPresenceAsync(CancellationToken.None);
        var open = (await MunicipalityAsync(host, "0363")).Municipality;
        time.Advance(TimeSpan.FromMinutes(1));
        await reader.DisposeAsync();
        await Eventually.TrueAsync(() => Task.FromResult(host.Services.GetRequiredService<Server.Feed.FeedHub>().Engines.All(e => e.StreamCount == 0)), "the stream closed");
        await Reporter(host).ReportPresenceAsync(CancellationToken.None);
        var closed = (await MunicipalityAsync(host, "0363")).Municipality;

        Assert.Equal(new FeedConnection { OpenStreams = 1, LastAcknowledged = Timestamp.FromDateTimeOffset(acknowledgedAt), LastConnected = Timestamp.FromDateTimeOffset(acknowledgedAt) }, open.Feed);
        Assert.Empty(open.Attention);
        Assert.Equal(new FeedConnection { OpenStreams = 0, LastAcknowledged = Timestamp.FromDateTimeOffset(acknowledgedAt), LastConnected = Timestamp.FromDateTimeOffset(acknowledgedAt) }, closed.Feed);
        Assert.Equal(arrival.ArrivalId, notice.Subject);
    }

    [Fact]
    public async Task ReportPresence_RowOfAnInstanceThatStoppedReporting_CountsNoStreams()
    {
        var time = NewClock();
        await using var host = await StartAsync(time, presenceInterval: TimeSpan.FromHours(1));
        var now = time.GetUtcNow().UtcDateTime;
        await using (var db = host.Db())
        {
            db.FeedPresence.Add(new() { InstanceId = "gone", FeedId = "municipality:0363", OpenStreams = 3, LastConnectedAt = now, ReportedAt = now });
            db.FeedPresence.Add(new() { InstanceId = "alive", FeedId = "municipality:0363", OpenStreams = 2, ReportedAt = now.AddDays(1) });
            await db.SaveChangesAsync();
        }

        var before = (await MunicipalityAsync(host, "0363")).Municipality.Feed;
        time.Advance(TimeSpan.FromDays(1));
        var after = (await MunicipalityAsync(host, "0363")).Municipality.Feed;

        Assert.Equal(5, before.OpenStreams);
        Assert.Equal(2, after.OpenStreams); // "gone" last reported a day ago
        Assert.Equal(Timestamp.FromDateTime(now), after.LastConnected);
    }

    [Fact]
    public async Task TakeSnapshot_TwiceForOneBoundary_StoresOneAndSeriesShowBacklogAndStaleFeeds()
    {
        var time = NewClock();
        await using var host = await StartAsync(time);
        await host.AnnounceAsync(TestArrivals.Family("0363", time: time));
        time.Advance(TimeSpan.FromMinutes(30));
        var later = FeedStatusReporter.Boundary(time.GetUtcNow().UtcDateTime, TimeSpan.FromMinutes(5));

        await Reporter(host).TakeSnapshotAsync(later, CancellationToken.None);
        await Reporter(host).TakeSnapshotAsync(later, CancellationToken.None);
        var national = (await new ChainService.ChainServiceClient(host.ChannelFor("ketenregie"))
            .GetOverviewAsync(new GetOverviewRequest { SeriesDays = 1 })).Series.FeedLag;
        var amsterdam = (await MunicipalityAsync(host, "0363", "gemeente-amsterdam", seriesDays: 1)).FeedLag;
        var utrecht = (await MunicipalityAsync(host, "0344", seriesDays: 1)).FeedLag;

        var sample = national.Single(s => s.TakenAt == Timestamp.FromDateTime(later));
        Assert.Equal(1, sample.UnacknowledgedNotices);
        Assert.Equal(1, sample.FeedsWithBacklog);
        Assert.Equal(1, sample.StaleFeeds);
        Assert.True(sample.OldestUnacknowledgedAge.ToTimeSpan() > TimeSpan.FromMinutes(20));
        Assert.Equal(sample, amsterdam.Single(s => s.TakenAt == sample.TakenAt));
        Assert.Equal(new LagSample { TakenAt = sample.TakenAt, OldestUnacknowledgedAge = new Duration() }, utrecht.Single(s => s.TakenAt == sample.TakenAt));
        await using var db = host.Db();
        Assert.Equal(2, await db.FeedLagSnapshots.CountAsync(s => s.TakenAt == later));
    }

    [Fact]
    public async Task LagSeries_LongerThanTwoWeeks_OnePointPerDayWithTheDaysWorst()
    {
        var time = NewClock();
        await using var host = await StartAsync(time);
        // Tomorrow 08:00, so the snapshots of the first day cannot cross midnight.
        var today = time.GetUtcNow().UtcDateTime.Date.AddDays(1);
        time.Advance(today.AddHours(8) - time.GetUtcNow().UtcDateTime);
        await host.AnnounceAsync(TestArrivals.Family("0363", time: time));
        time.Advance(TimeSpan.FromMinutes(30));
        await Reporter(host).TakeSnapshotAsync(time.GetUtcNow().UtcDateTime, CancellationToken.None);
        await host.AnnounceAsync(TestArrivals.Family("0363", time: time));
        time.Advance(TimeSpan.FromMinutes(5));
        await Reporter(host).TakeSnapshotAsync(time.GetUtcNow().UtcDateTime, CancellationToken.None);
        time.Advance(TimeSpan.FromDays(1));
        await Reporter(host).TakeSnapshotAsync(time.GetUtcNow().UtcDateTime, CancellationToken.None);

        // From tomorrow on: the reporter running in the background took a snapshot of its own at the start.
        var since = Timestamp.FromDateTime(today);
        var national = (await new ChainService.ChainServiceClient(host.ChannelFor("ketenregie"))
            .GetOverviewAsync(new GetOverviewRequest { SeriesDays = OverviewSeriesQuery.DailyLagAfterDays + 1 })).Series.FeedLag.Where(s => s.TakenAt >= since).ToList();
        var utrecht = (await MunicipalityAsync(host, "0344", seriesDays: 30)).FeedLag.Where(s => s.TakenAt >= since).ToList();
        var amsterdam = (await MunicipalityAsync(host, "0363", seriesDays: 30)).FeedLag.Where(s => s.TakenAt >= since).ToList();

        Assert.Equal([Timestamp.FromDateTime(today), Timestamp.FromDateTime(today.AddDays(1))], national.Select(s => s.TakenAt));
        Assert.Equal([2L, 2L], national.Select(s => s.UnacknowledgedNotices));
        Assert.Equal(TimeSpan.FromMinutes(35), national[0].OldestUnacknowledgedAge.ToTimeSpan());
        Assert.Equal(TimeSpan.FromDays(1) + TimeSpan.FromMinutes(35), national[1].OldestUnacknowledgedAge.ToTimeSpan());
        Assert.Equal([1, 1], national.Select(s => s.StaleFeeds));
        Assert.Equal(national, amsterdam);
        Assert.All(utrecht, s => Assert.Equal(new LagSample { TakenAt = s.TakenAt, OldestUnacknowledgedAge = new Duration() }, s));
        Assert.Equal(2, utrecht.Count);
    }

    [Fact]
    public async Task GetMunicipalityOverview_OwnCode_ListsItsOpenEscalationsOldestFirst()
    {
        var time = NewClock();
        await using var host = await StartAsync(time);
        var first = TestArrivals.Family("0363", 1, time: time);
        first.ExpectedArrivalDate = TestArrivals.ToDate(host.Today().AddDays(1));
        var older = (await host.AnnounceAsync(first)).Escalations.Single();
        time.Advance(TimeSpan.FromMinutes(1));
        var second = TestArrivals.Family("0363", 1, time: time);
        second.ExpectedArrivalDate = TestArrivals.ToDate(host.Today().AddDays(2));
        var newer = (await host.AnnounceAsync(second)).Escalations.Single();
        time.Advance(TimeSpan.FromMinutes(1));
        var utrecht = TestArrivals.Family("0344", 1, time: time);
        utrecht.ExpectedArrivalDate = TestArrivals.ToDate(host.Today().AddDays(1));
        await host.AnnounceAsync(utrecht);

        var own = await MunicipalityAsync(host, "0363", "gemeente-amsterdam");
        var all = await new ChainService.ChainServiceClient(host.ChannelFor("coa")).ListOpenEscalationsAsync(new ListOpenEscalationsRequest());

        Assert.Equal([older.EscalationId, newer.EscalationId], own.OpenEscalations.Select(e => e.Escalation.EscalationId));
        Assert.All(own.OpenEscalations, e => Assert.Equal("0363", e.MunicipalityCode));
        Assert.Equal([Attention.OpenEscalations, Attention.NeverConnected], own.Municipality.Attention);
        Assert.Equal(3, all.Total);
        Assert.Equal(["0363", "0363", "0344"], all.Escalations.Select(e => e.MunicipalityCode));
    }

    [Theory]
    [InlineData("")]
    [InlineData("36a")]
    public async Task GetMunicipalityOverview_BadCode_IsInvalidArgumentOnMunicipalityCode(string code)
    {
        var time = NewClock();
        await using var host = await StartAsync(time);
        await RpcAssert.InvalidArgumentAsync(() => MunicipalityAsync(host, code), "municipality_code");
    }
}
