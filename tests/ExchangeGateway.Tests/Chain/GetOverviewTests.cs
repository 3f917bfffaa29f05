using ExchangeGateway.Contracts.V1;
using ExchangeGateway.Server.Deadlines;
using ExchangeGateway.Server.Identity;
using ExchangeGateway.Tests.Fixtures;
using ExchangeGateway.Tests.Shared;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace ExchangeGateway.Tests.Chain;

/// <summary>The overview on a gateway of its own, seeded through the real RPCs on a clock the test
/// moves, so every figure and time is known exactly.</summary>
public sealed class GetOverviewTests(GatewayHostFixture fixture) : IClassFixture<GatewayHostFixture>
{
    private static readonly TimeSpan Deadline = TimeSpan.FromHours(1);

    /// <summary>A clock at a whole second, so times compare exactly after the round trip through storage.</summary>
    private static FakeTimeProvider NewClock()
    {
        var now = DateTimeOffset.UtcNow;
        return new FakeTimeProvider(now.AddTicks(-(now.Ticks % TimeSpan.TicksPerSecond)));
    }

    /// <summary>A gateway with a database of its own, for figures nobody else adds to.</summary>
    private static Task<GatewayHost> StartAsync(FakeTimeProvider time) =>
        GatewayHost.StartAsync(time, configure: options =>
        {
            options.AcknowledgementDeadline = Deadline;
            options.DeadlineSweepInterval = TimeSpan.FromMinutes(1);
            // Presence and lag are reported when a test says so (FeedStatusReporter), not as the clock moves.
            options.Dashboard.PresenceInterval = TimeSpan.FromDays(30);
            options.Dashboard.LagSnapshotInterval = TimeSpan.FromDays(30);
        });

    private static ChainService.ChainServiceClient Chain(GatewayHost host, string organisationId = "ketenregie") => new(host.ChannelFor(organisationId));

    private static Task<GetOverviewResponse> OverviewAsync(GatewayHost host, string municipalityCode = "", string organisationId = "ketenregie") =>
        Chain(host, organisationId).GetOverviewAsync(new GetOverviewRequest { MunicipalityCode = municipalityCode }).ResponseAsync;

    private static async Task ReportAsync(GatewayHost host, string organisationId, params string[] vNumbers)
    {
        var request = new ReportUnannouncedArrivalRequest { RequestId = ArrivalSteps.NewRequestId(), ArrivedOn = TestArrivals.ToDate(host.Today()) };
        request.VNumbers.AddRange(vNumbers);
        await host.Municipality(organisationId).ReportUnannouncedArrivalAsync(request);
    }

    /// <summary>Amsterdam: one arrival acknowledged, one announced, one arrived (announce, departure and
    /// arrival notices unacknowledged); Utrecht: one announced, one cancelled; reports from Amsterdam
    /// (one unknown, one announced in Utrecht, one announced to Amsterdam), Utrecht (one announced to
    /// Amsterdam) and Groningen (one unknown). Returns the times of the oldest unacknowledged notices.</summary>
    private static async Task<(DateTimeOffset Amsterdam, DateTimeOffset Utrecht)> SeedAsync(GatewayHost host, FakeTimeProvider time)
    {
        var acknowledged = await host.AnnounceAsync(TestArrivals.Family("0363", time: time));
        await host.AcknowledgeAnnouncementAsync(acknowledged.ArrivalId);
        time.Advance(TimeSpan.FromMinutes(1));
        var amsterdamOldest = time.GetUtcNow();
        var announced = await host.AnnounceAsync(TestArrivals.Family("0363", time: time));
        time.Advance(TimeSpan.FromMinutes(1));
        await host.AnnounceArrivedAsync(TestArrivals.Family("0363", time: time));
        time.Advance(TimeSpan.FromMinutes(1));
        var utrechtOldest = time.GetUtcNow();
        var utrecht = await host.AnnounceAsync(TestArrivals.Family("0344", time: time));
        time.Advance(TimeSpan.FromMinutes(1));
        var cancelled = await host.AnnounceAsync(TestArrivals.Family("0344", time: time));
        await host.Arrivals().CancelArrivalAsync(new CancelArrivalRequest { RequestId = ArrivalSteps.NewRequestId(), ArrivalId = cancelled.ArrivalId, Reason = "Plans changed." });

        await ReportAsync(host, "gemeente-amsterdam", TestArrivals.NewVNumber(), utrecht.Details.Travellers[0].VNumber, acknowledged.Details.Travellers[0].VNumber);
        await ReportAsync(host, "gemeente-utrecht", announced.Details.Travellers[1].VNumber);
        await ReportAsync(host, "gemeente-groningen", TestArrivals.NewVNumber());
        return (amsterdamOldest, utrechtOldest);
    }

    private static MunicipalityOverview Row(
        string code, string name,
        (ArrivalState, long)[] states, (EscalationKind, long)[] escalations, (UnannouncedMatch, long)[] unannounced,
        long unacknowledged, DateTimeOffset? oldest, params Attention[] attention)
    {
        var row = new MunicipalityOverview
        {
            MunicipalityCode = code,
            Name = name,
            UnacknowledgedNotices = unacknowledged,
            OldestUnacknowledgedNotice = oldest is { } at ? Timestamp.FromDateTimeOffset(at) : null,
            Feed = code.Length > 0 ? new FeedConnection() : null, // none in the national row
        };
        row.Attention.AddRange(attention);
        row.ArrivalsByState.AddRange(states.Select(s => new StateCount { State = s.Item1, Count = s.Item2 }));
        row.OpenEscalations.AddRange(escalations.Select(e => new EscalationCount { Kind = e.Item1, Count = e.Item2 }));
        row.Unannounced.AddRange(unannounced.Select(u => new UnannouncedCount { Match = u.Item1, Count = u.Item2 }));
        return row;
    }

    [Fact]
    public async Task GetOverview_SeededScenario_CountsEveryFigureExactly()
    {
        var time = NewClock();
        await using var host = await StartAsync(time);
        var (amsterdamOldest, utrechtOldest) = await SeedAsync(host, time);

        var overview = await OverviewAsync(host);

        Assert.Equal(Timestamp.FromDateTimeOffset(time.GetUtcNow()), overview.AsOf);
        Assert.Equal(
        [
            Row("0014", "Groningen", [], [], [(UnannouncedMatch.NotAnnounced, 1)], 0, null, Attention.UnannouncedReported, Attention.NeverConnected),
            Row("0344", "Utrecht", [(ArrivalState.Announced, 1), (ArrivalState.Cancelled, 1)], [],
                [(UnannouncedMatch.AnnouncedElsewhere, 1)], 3, utrechtOldest, Attention.UnannouncedReported, Attention.NeverConnected),
            Row("0363", "Amsterdam", [(ArrivalState.Announced, 1), (ArrivalState.Acknowledged, 1), (ArrivalState.Arrived, 1)], [],
                [(UnannouncedMatch.NotAnnounced, 1), (UnannouncedMatch.AnnouncedHere, 1), (UnannouncedMatch.AnnouncedElsewhere, 1)], 4, amsterdamOldest,
                Attention.UnannouncedReported, Attention.NeverConnected),
        ], overview.Municipalities);
        Assert.Equal(
            Row("", "", [(ArrivalState.Announced, 2), (ArrivalState.Acknowledged, 1), (ArrivalState.Arrived, 1), (ArrivalState.Cancelled, 1)], [],
                [(UnannouncedMatch.NotAnnounced, 2), (UnannouncedMatch.AnnouncedHere, 1), (UnannouncedMatch.AnnouncedElsewhere, 2)], 7, amsterdamOldest),
            overview.National);
    }

    [Fact]
    public async Task GetOverview_DeadlinePassedAndOneResolved_CountsOpenEscalationsPerMunicipality()
    {
        var time = NewClock();
        await using var host = await StartAsync(time);
        var (amsterdamOldest, utrechtOldest) = await SeedAsync(host, time);
        Assert.True(amsterdamOldest < utrechtOldest);
        await using (var db = host.Db())
        {
            // Only the municipalities' silence is under test here: COA and the IND took everything in.
            var now = time.GetUtcNow().UtcDateTime;
            await db.Notices.Where(n => n.FeedId == FeedNames.Coa || n.FeedId == FeedNames.Ind)
                .ExecuteUpdateAsync(s => s.SetProperty(n => n.AcknowledgedAt, now));
        }
        time.Advance(Deadline + TimeSpan.FromMinutes(1));
        await host.Services.GetRequiredService<AcknowledgementDeadline>().SweepAsync(CancellationToken.None);

        var escalated = await OverviewAsync(host);
        string escalationId;
        await using (var db = host.Db())
        {
            escalationId = await db.Escalations.Where(e => db.Arrivals.Any(a => a.Id == e.ArrivalId && a.MunicipalityCode == "0363"))
                .Select(e => e.Id).FirstAsync();
        }
        await Chain(host).ResolveEscalationAsync(new ResolveEscalationRequest { RequestId = ArrivalSteps.NewRequestId(), EscalationId = escalationId, Note = "Resolved by phone." });
        var afterResolve = await OverviewAsync(host);

        // One escalation per unacknowledged municipality notice: Amsterdam 4, Utrecht 3.
        Assert.Equal([0L, 3L, 4L], escalated.Municipalities.Select(m => m.OpenEscalations.Where(e => e.Kind == EscalationKind.AcknowledgementOverdue).Sum(e => e.Count)));
        Assert.Equal(new EscalationCount { Kind = EscalationKind.AcknowledgementOverdue, Count = 7 }, Assert.Single(escalated.National.OpenEscalations));
        Assert.Equal(7, escalated.National.UnacknowledgedNotices); // escalating is not acknowledging
        Assert.Equal(Timestamp.FromDateTimeOffset(amsterdamOldest), escalated.National.OldestUnacknowledgedNotice);
        Assert.Equal(new EscalationCount { Kind = EscalationKind.AcknowledgementOverdue, Count = 3 },
            Assert.Single(afterResolve.Municipalities.Single(m => m.MunicipalityCode == "0363").OpenEscalations));
        Assert.Equal(6, Assert.Single(afterResolve.National.OpenEscalations).Count);
    }

    [Fact]
    public async Task GetOverview_OneMunicipality_ListsOnlyItAndKeepsNationalTotals()
    {
        var time = NewClock();
        await using var host = await StartAsync(time);
        await SeedAsync(host, time);
        var all = await OverviewAsync(host);

        var amsterdam = await OverviewAsync(host, "0363");
        var dordrecht = await OverviewAsync(host, "0505");

        Assert.Equal([all.Municipalities.Single(m => m.MunicipalityCode == "0363")], amsterdam.Municipalities);
        Assert.Equal(all.National, amsterdam.National);
        Assert.Equal([Row("0505", "Dordrecht", [], [], [], 0, null, Attention.NeverConnected)], dordrecht.Municipalities);
        Assert.Equal(all.National, dordrecht.National);
    }

    [Fact]
    public async Task GetOverview_Empty_HasNoMunicipalitiesAndZeroTotals()
    {
        await using var host = await StartAsync(NewClock());

        var overview = await OverviewAsync(host);

        Assert.Empty(overview.Municipalities);
        Assert.Equal(new MunicipalityOverview(), overview.National);
    }

    [Fact]
    public async Task GetOverview_ByCoa_GivesTheSameFigures()
    {
        var time = NewClock();
        await using var host = await StartAsync(time);
        await SeedAsync(host, time);

        var byChain = await OverviewAsync(host);
        var byCoa = await OverviewAsync(host, organisationId: "coa");

        Assert.Equal(byChain, byCoa);
    }

    [Theory]
    [InlineData("363")]
    [InlineData("03633")]
    [InlineData("abcd")]
    [InlineData("9998")]
    public async Task GetOverview_CodeNotInTable_IsInvalidArgumentOnMunicipalityCode(string code)
    {
        await RpcAssert.InvalidArgumentAsync(() => OverviewAsync(fixture.Host, code), "municipality_code");
    }

    [Theory]
    [InlineData("ind")]
    [InlineData("gemeente-amsterdam")]
    public async Task GetOverview_ByIndOrMunicipality_IsPermissionDenied(string organisationId)
    {
        await RpcAssert.ReasonAsync(StatusCode.PermissionDenied, "ROLE_NOT_ALLOWED", () => OverviewAsync(fixture.Host, organisationId: organisationId));
    }

    [Fact]
    public async Task GetOverview_EveryMunicipality_ListsEachOpenCodeOfTheTable()
    {
        var time = NewClock();
        await using var host = await StartAsync(time);
        await SeedAsync(host, time);

        var overview = await Chain(host).GetOverviewAsync(new GetOverviewRequest { EveryMunicipality = true });

        Assert.Equal(342, overview.Municipalities.Count);
        Assert.DoesNotContain(overview.Municipalities, m => m.MunicipalityCode is "0000" or "1999" or "0501");
        Assert.Equal([Attention.NeverConnected], overview.Municipalities.Single(m => m.MunicipalityCode == "0505").Attention);
        Assert.Equal(4, overview.Municipalities.Single(m => m.MunicipalityCode == "0363").UnacknowledgedNotices);
    }

    [Fact]
    public async Task GetOverview_NoticeOlderThanThreshold_NeedsAttentionForStaleAcknowledgement()
    {
        var time = NewClock();
        await using var host = await GatewayHost.StartAsync(time, configure: options =>
        {
            options.Dashboard.StaleAcknowledgementAfter = TimeSpan.FromMinutes(30);
            options.Dashboard.PresenceInterval = TimeSpan.FromDays(30);
        });
        await host.AnnounceAsync(TestArrivals.Family("0363", time: time));

        time.Advance(TimeSpan.FromMinutes(30));
        var atThreshold = await OverviewAsync(host, "0363");
        time.Advance(TimeSpan.FromSeconds(1));
        var past = await OverviewAsync(host, "0363");

        Assert.DoesNotContain(Attention.StaleAcknowledgement, atThreshold.Municipalities.Single().Attention);
        Assert.Equal([Attention.StaleAcknowledgement, Attention.NeverConnected], past.Municipalities.Single().Attention);
        Assert.Equal(Duration.FromTimeSpan(TimeSpan.FromMinutes(30)), past.StaleAcknowledgementAfter);
    }

    [Fact]
    public async Task GetOverview_SeriesDays_CountsPerDayKindAndWeek()
    {
        var time = NewClock();
        // Only the late announcement escalates: acknowledgements are not overdue within these two days.
        await using var host = await GatewayHost.StartAsync(time, configure: options =>
        {
            options.AcknowledgementDeadline = TimeSpan.FromDays(7);
            options.Dashboard.PresenceInterval = TimeSpan.FromDays(30);
        });
        var today = DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime);
        await host.AnnounceAsync(TestArrivals.Family("0363", time: time));
        var late = TestArrivals.Family("0344", 1, time: time);
        late.ExpectedArrivalDate = TestArrivals.ToDate(host.Today().AddDays(1));
        var escalation = (await host.AnnounceAsync(late)).Escalations.Single();
        time.Advance(TimeSpan.FromDays(1));
        await host.AnnounceAsync(TestArrivals.Family("0363", time: time));
        await ReportAsync(host, "gemeente-utrecht", TestArrivals.NewVNumber(), TestArrivals.NewVNumber());
        await Chain(host).ResolveEscalationAsync(new ResolveEscalationRequest { RequestId = ArrivalSteps.NewRequestId(), EscalationId = escalation.EscalationId, Note = "Called COA." });

        var series = (await Chain(host).GetOverviewAsync(new GetOverviewRequest { SeriesDays = 3 })).Series;

        Assert.Equal(TestArrivals.ToDate(today.AddDays(-1)), series.From);
        Assert.Equal([0L, 2L, 1L], series.ArrivalsAnnounced.Select(d => d.Count));
        Assert.Equal(
            [
                new EscalationDay { Day = TestArrivals.ToDate(today), Kind = EscalationKind.LateAnnouncement, Raised = 1 },
                new EscalationDay { Day = TestArrivals.ToDate(today.AddDays(1)), Kind = EscalationKind.LateAnnouncement, Resolved = 1 },
            ],
            series.Escalations);
        Assert.Equal(2, series.UnannouncedPersonsPerWeek.Sum(w => w.Count));
        Assert.All(series.UnannouncedPersonsPerWeek, w => Assert.Equal(DayOfWeek.Monday, new DateOnly(w.Day.Year, w.Day.Month, w.Day.Day).DayOfWeek));
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(367)]
    public async Task GetOverview_SeriesDaysOutOfRange_IsInvalidArgumentOnSeriesDays(int days)
    {
        await RpcAssert.InvalidArgumentAsync(
            () => Chain(fixture.Host).GetOverviewAsync(new GetOverviewRequest { SeriesDays = days }).ResponseAsync, "series_days");
    }
}
