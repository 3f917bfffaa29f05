using ExchangeGateway.Contracts.V1;
using ExchangeGateway.Server.Merges;
using ExchangeGateway.Server.Rules;
using ExchangeGateway.Tests.Fixtures;
using ExchangeGateway.Tests.Shared;
using Grpc.Core;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace ExchangeGateway.Tests.Merges;

/// <summary>The municipality table is replaced on disk, or a closing date passes, while the gateway
/// runs. The development set serves Groningen (0014), Utrecht (0344) and Amsterdam (0363) by
/// organisations of their own and Dordrecht (0505) and Papendrecht (0590) by one, so most tests
/// merge them fictionally (Groningen into Utrecht) to see who can see the arrival afterwards.</summary>
public sealed class MergedMunicipalityMovesTests : IDisposable
{
    private static readonly TimeSpan Interval = TimeSpan.FromMinutes(1);

    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private readonly string _directory = Directory.CreateTempSubdirectory("exgw-merge-").FullName;

    private string TablePath => Path.Combine(_directory, "gemeententabel.csv");

    private DateOnly Today => AmsterdamCalendar.Today(_time);

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private Task<GatewayHost> StartAsync(params (string Code, string Successor, DateOnly ValidUntil)[] closures)
    {
        TestTables.WriteShipped(TablePath, closures);
        return GatewayHost.StartAsync(_time, configure: options =>
        {
            options.MunicipalityTablePath = TablePath;
            options.MunicipalityTableCheckInterval = Interval;
        });
    }

    private Task<Arrival> AnnounceAsync(GatewayHost host, string code) => host.AnnounceAsync(TestArrivals.Family(code, time: _time));

    /// <summary>Replaces the file and makes sure the gateway has looked at it (the monitor may have
    /// beaten the test to it; either way the table in use is settled when this returns).</summary>
    private void ReplaceTable(GatewayHost host, params (string Code, string Successor, DateOnly ValidUntil)[] closures)
    {
        TestTables.WriteShipped(TablePath, closures);
        host.Services.GetRequiredService<MunicipalityTableFile>().Refresh();
    }

    private static Task<int> RunMovesAsync(GatewayHost host) =>
        host.Services.GetRequiredService<MergedMunicipalityMoves>().RunAsync(CancellationToken.None);

    private static Task WaitUntilInAsync(GatewayHost host, string code, params string[] arrivalIds) =>
        Eventually.TrueAsync(async () =>
        {
            foreach (var id in arrivalIds)
            {
                if ((await host.GetAsync(id)).Details.MunicipalityCode != code)
                {
                    return false;
                }
            }
            return true;
        }, $"the arrivals moved to {code}");

    [Fact]
    public async Task TableReplaced_CodeClosedToday_MovesOpenArrivalsToSuccessorAndTellsOldNewAndInd()
    {
        await using var host = await StartAsync();
        var announced = await AnnounceAsync(host, "0014");
        var acknowledged = await host.AcknowledgeAnnouncementAsync((await AnnounceAsync(host, "0014")).ArrivalId);
        Assert.Equal(ArrivalState.Acknowledged, acknowledged.State);

        TestTables.WriteShipped(TablePath, ("0014", "0344", Today));
        _time.Advance(Interval);
        await WaitUntilInAsync(host, "0344", announced.ArrivalId, acknowledged.ArrivalId);

        foreach (var before in new[] { announced, acknowledged })
        {
            var moved = await host.GetAsync(before.ArrivalId);
            Assert.Equal(ArrivalState.Announced, moved.State); // the successor has not taken it in yet
            Assert.Null(moved.AcknowledgedAt);
            Assert.Equal(before.Version + 1, moved.Version);
            var expected = before.Details.Clone();
            expected.MunicipalityCode = "0344";
            Assert.Equal(expected, moved.Details); // nothing else about the household changes
            var history = moved.History.Last();
            Assert.Equal("moved", history.Action);
            Assert.Equal("exchange-gateway", history.Actor);
            Assert.StartsWith("Moved from municipality 0014 to 0344 because the municipality merged", history.Description, StringComparison.Ordinal);

            Assert.Equal([ArrivalSteps.Announced, ArrivalSteps.Cancelled], await host.NoticeTypesAsync(moved.ArrivalId, "municipality:0014"));
            Assert.Equal([ArrivalSteps.Announced], await host.NoticeTypesAsync(moved.ArrivalId, "municipality:0344"));
            Assert.Equal([ArrivalSteps.TravellersAnnounced, ArrivalSteps.TravellersAnnounced], await host.NoticeTypesAsync(moved.ArrivalId, "ind"));
            var notices = await host.NoticesAboutAsync(moved.ArrivalId);
            var cancelled = notices.Single(n => n.Type == ArrivalSteps.Cancelled).Notice;
            Assert.Equal("0014", cancelled.ArrivalCancelled.MunicipalityCode);
            Assert.Contains("merged", cancelled.ArrivalCancelled.Reason, StringComparison.Ordinal);
            Assert.Contains("0344 (Utrecht)", cancelled.ArrivalCancelled.Reason, StringComparison.Ordinal);
            Assert.Equal("urn:nld:oin:00000099000000000000:systeem:exchange-gateway", cancelled.Source);
            var announcedThere = notices.Single(n => n.Feed == "municipality:0344").Notice.ArrivalAnnounced;
            Assert.Equal(expected, announcedThere.Details);
            var toInd = notices.Last(n => n.Feed == "ind").Notice.TravellersAnnounced;
            Assert.Equal("0344", toInd.MunicipalityCode);
            Assert.Equal(before.Details.Travellers.Select(t => t.VNumber), toInd.VNumbers);

            // Only the successor's organisation can see it now.
            await RpcAssert.ThrowsAsync(StatusCode.NotFound, () => host.GetAsync(moved.ArrivalId, "gemeente-groningen"));
            Assert.Equal(moved.Version, (await host.GetAsync(moved.ArrivalId, "gemeente-utrecht")).Version);
        }
        // The successor acknowledges as for any announcement.
        Assert.Equal(ArrivalState.Acknowledged, (await host.AcknowledgeAnnouncementAsync(announced.ArrivalId)).State);
    }

    [Fact]
    public async Task TableReplaced_HouseholdAlreadyLeftOrArrived_KeepsStateAndRegistrationContinuesWithSuccessor()
    {
        await using var host = await StartAsync();
        var arrived = await host.AnnounceArrivedAsync(TestArrivals.Family("0014", time: _time));
        var departed = await host.DepartAsync((await AnnounceAsync(host, "0014")).ArrivalId, _time.GetUtcNow().AddHours(-1));

        TestTables.WriteShipped(TablePath, ("0014", "0344", Today));
        _time.Advance(Interval);
        await WaitUntilInAsync(host, "0344", arrived.ArrivalId, departed.ArrivalId);

        var movedArrived = await host.GetAsync(arrived.ArrivalId);
        Assert.Equal(ArrivalState.Arrived, movedArrived.State);
        Assert.Equal(arrived.ArrivedAt, movedArrived.ArrivedAt);
        Assert.Equal(arrived.DepartedAt, movedArrived.DepartedAt);
        // The successor learns the journey it missed, with the times it happened.
        Assert.Equal([ArrivalSteps.Announced, ArrivalSteps.Departed, ArrivalSteps.Arrived], await host.NoticeTypesAsync(arrived.ArrivalId, "municipality:0344"));
        var told = (await host.NoticesAboutAsync(arrived.ArrivalId)).Where(n => n.Feed == "municipality:0344").Select(n => n.Notice).ToList();
        Assert.Equal(arrived.DepartedAt, told[1].TravellersDeparted.DepartedAt);
        Assert.Equal(arrived.ArrivedAt, told[2].TravellersArrived.ArrivedAt);
        Assert.Equal("0344", told[1].TravellersDeparted.MunicipalityCode);
        Assert.Equal("0344", told[2].TravellersArrived.MunicipalityCode);

        var movedDeparted = await host.GetAsync(departed.ArrivalId);
        Assert.Equal(ArrivalState.Departed, movedDeparted.State);
        Assert.Equal([ArrivalSteps.Announced, ArrivalSteps.Departed], await host.NoticeTypesAsync(departed.ArrivalId, "municipality:0344"));

        // Registration continues with the successor: its organisation reports it, the old one cannot.
        var registered = await host.RegisterAllAsync(movedArrived);
        Assert.All(registered.Travellers, t => Assert.Equal(RegistrationStatus.Registered, t.RegistrationStatus));
        Assert.Equal(ArrivalState.Arrived, registered.State);
        await RpcAssert.ThrowsAsync(StatusCode.NotFound, async () => await host.Municipality("gemeente-groningen").ReportRegistrationAsync(
            new ReportRegistrationRequest { RequestId = ArrivalSteps.NewRequestId(), ArrivalId = arrived.ArrivalId, Registrations = { new TravellerRegistration { VNumber = arrived.Details.Travellers[0].VNumber, Status = RegistrationStatus.Pending } } }));
    }

    [Fact]
    public async Task TableReplaced_CancelledOrCompletedArrivals_StayWhereTheyAre()
    {
        await using var host = await StartAsync();
        var cancelled = (await host.Arrivals().CancelArrivalAsync(new CancelArrivalRequest
        {
            RequestId = ArrivalSteps.NewRequestId(),
            ArrivalId = (await AnnounceAsync(host, "0014")).ArrivalId,
            Reason = "Household stays in reception.",
        })).Arrival;
        var completed = await CompleteAsync(host, "0014");
        var open = await AnnounceAsync(host, "0014");
        var noticesBefore = await host.NoticesAboutAsync(cancelled.ArrivalId);
        var completedNoticesBefore = await host.NoticesAboutAsync(completed.ArrivalId);

        TestTables.WriteShipped(TablePath, ("0014", "0344", Today));
        _time.Advance(Interval);
        await WaitUntilInAsync(host, "0344", open.ArrivalId);

        foreach (var (closed, notices) in new[] { (cancelled, noticesBefore), (completed, completedNoticesBefore) })
        {
            var after = await host.GetAsync(closed.ArrivalId);
            Assert.Equal("0014", after.Details.MunicipalityCode);
            Assert.Equal(closed.State, after.State);
            Assert.Equal(closed.Version, after.Version);
            Assert.Equal(notices.Count, (await host.NoticesAboutAsync(closed.ArrivalId)).Count);
        }
    }

    [Fact]
    public async Task Run_Twice_MovesEachArrivalOnce()
    {
        await using var host = await StartAsync();
        var arrival = await AnnounceAsync(host, "0014");
        ReplaceTable(host, ("0014", "0344", Today));

        var first = await RunMovesAsync(host);
        await WaitUntilInAsync(host, "0344", arrival.ArrivalId); // moved by this run or the monitor's
        var noticesAfterMove = (await host.NoticesAboutAsync(arrival.ArrivalId)).Count;
        var second = await RunMovesAsync(host);
        _time.Advance(Interval); // and the monitor's next round
        var third = await RunMovesAsync(host);

        Assert.InRange(first, 0, 1);
        Assert.Equal(0, second);
        Assert.Equal(0, third);
        var moved = await host.GetAsync(arrival.ArrivalId);
        Assert.Single(moved.History, h => h.Action == "moved");
        Assert.Equal(arrival.Version + 1, moved.Version);
        Assert.Equal(noticesAfterMove, (await host.NoticesAboutAsync(arrival.ArrivalId)).Count);
        Assert.Single(await host.NoticeTypesAsync(arrival.ArrivalId, "municipality:0344"));
    }

    [Fact]
    public async Task Run_AwaitingConsent_KeepsWaitingAndAsksTheSuccessor()
    {
        await using var host = await StartAsync();
        var arrival = await host.AnnounceAsync(TestArrivals.Family("0014", travellers: 3, time: _time));
        // The household policy (consent for 3-4 travellers) is set up here in the database, so this
        // test does not depend on how announcing asks for consent.
        var decideBy = Today.AddDays(10);
        await using (var db = host.Db())
        {
            await db.Arrivals.Where(a => a.Id == arrival.ArrivalId).ExecuteUpdateAsync(s => s
                .SetProperty(a => a.State, ArrivalState.AwaitingConsent)
                .SetProperty(a => a.ConsentStatus, ConsentStatus.Requested)
                .SetProperty(a => a.ConsentHouseholdSize, 3)
                .SetProperty(a => a.ConsentDecideBy, decideBy));
        }
        ReplaceTable(host, ("0014", "0344", Today));

        await RunMovesAsync(host);
        await WaitUntilInAsync(host, "0344", arrival.ArrivalId);

        var moved = await host.GetAsync(arrival.ArrivalId);
        Assert.Equal(ArrivalState.AwaitingConsent, moved.State);
        Assert.Equal(ConsentStatus.Requested, moved.Consent.Status);
        var told = (await host.NoticesAboutAsync(arrival.ArrivalId)).Where(n => n.Feed == "municipality:0344").Select(n => n.Notice).ToList();
        Assert.Equal([Notice.PayloadOneofCase.ArrivalAnnounced, Notice.PayloadOneofCase.ConsentRequested], told.Select(n => n.PayloadCase));
        Assert.Equal(ConsentStatus.Requested, told[0].ArrivalAnnounced.Consent);
        Assert.Equal("0344", told[1].ConsentRequested.MunicipalityCode);
        Assert.Equal(3, told[1].ConsentRequested.HouseholdSize);
        Assert.Equal(TestArrivals.ToDate(decideBy), told[1].ConsentRequested.DecideBy);
    }

    [Fact]
    public async Task Run_SeveralAtOnce_MoveEachArrivalOnce()
    {
        await using var host = await StartAsync();
        var arrivals = new List<Arrival>();
        for (var i = 0; i < 6; i++)
        {
            arrivals.Add(await AnnounceAsync(host, i % 2 == 0 ? "0014" : "0590"));
        }
        ReplaceTable(host, ("0014", "0344", Today), ("0590", "0505", Today));

        // Three runs at once (as on three instances), besides the monitor's own.
        var runs = await Task.WhenAll(RunMovesAsync(host), RunMovesAsync(host), RunMovesAsync(host));

        Assert.InRange(runs.Sum(), 0, arrivals.Count);
        foreach (var arrival in arrivals)
        {
            var successor = arrival.Details.MunicipalityCode == "0014" ? "0344" : "0505";
            await WaitUntilInAsync(host, successor, arrival.ArrivalId);
            Assert.Single((await host.GetAsync(arrival.ArrivalId)).History, h => h.Action == "moved");
            Assert.Equal([ArrivalSteps.Announced], await host.NoticeTypesAsync(arrival.ArrivalId, "municipality:" + successor));
            Assert.Equal([ArrivalSteps.Announced, ArrivalSteps.Cancelled], await host.NoticeTypesAsync(arrival.ArrivalId, "municipality:" + arrival.Details.MunicipalityCode));
        }
    }

    [Fact]
    public async Task TableReplaced_SuccessorClosedToo_MovesStraightToTheOpenMunicipalityAtTheEndOfTheChain()
    {
        await using var host = await StartAsync();
        var inGroningen = await AnnounceAsync(host, "0014");
        var inPapendrecht = await AnnounceAsync(host, "0590");

        // 0014 merged into 0590, which merged into 0505 on the same day.
        TestTables.WriteShipped(TablePath, ("0014", "0590", Today), ("0590", "0505", Today));
        _time.Advance(Interval);
        await WaitUntilInAsync(host, "0505", inGroningen.ArrivalId, inPapendrecht.ArrivalId);

        Assert.Empty(await host.NoticeTypesAsync(inGroningen.ArrivalId, "municipality:0590"));
        Assert.Equal([ArrivalSteps.Announced], await host.NoticeTypesAsync(inGroningen.ArrivalId, "municipality:0505"));
        var reason = (await host.NoticesAboutAsync(inGroningen.ArrivalId)).Single(n => n.Type == ArrivalSteps.Cancelled).Notice.ArrivalCancelled.Reason;
        Assert.Contains("0505 (Dordrecht)", reason, StringComparison.Ordinal);
        Assert.Single((await host.GetAsync(inGroningen.ArrivalId)).History, h => h.Action == "moved");
    }

    [Fact]
    public async Task DatePasses_CodeClosesWhileGatewayRuns_MovesOnTheDayItCloses()
    {
        // The table already says the code closes tomorrow (as RvIG publishes mergers ahead).
        var tomorrow = Today.AddDays(1);
        await using var host = await StartAsync(("0014", "0344", tomorrow));
        var details = TestArrivals.Family("0014", time: _time);
        details.ExpectedArrivalDate = TestArrivals.ToDate(Today); // open today and on that date
        var arrival = await host.AnnounceAsync(details);
        Assert.Equal(0, await RunMovesAsync(host));
        Assert.Equal("0014", (await host.GetAsync(arrival.ArrivalId)).Details.MunicipalityCode);

        _time.Advance(TimeSpan.FromDays(1));
        await WaitUntilInAsync(host, "0344", arrival.ArrivalId);

        Assert.Contains("closed since " + tomorrow.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture),
            (await host.GetAsync(arrival.ArrivalId)).History.Single(h => h.Action == "moved").Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TableReplacedByInvalidFile_KeepsTheOldTableUntilAValidOneComes()
    {
        await using var host = await StartAsync();
        var arrival = await AnnounceAsync(host, "0014");
        // A table that would close 0014, but one line of it is broken: none of it is used.
        TestTables.WriteShipped(TablePath, ("0014", "0344", Today));
        File.AppendAllLines(TablePath, ["\"9990\",\"Nergens\",\"\",\"\",\"morgen\""]);
        host.Services.GetRequiredService<MunicipalityTableFile>().Refresh();
        _time.Advance(Interval);

        Assert.Equal(0, await RunMovesAsync(host));
        Assert.Equal("0014", (await host.GetAsync(arrival.ArrivalId)).Details.MunicipalityCode);
        Assert.Equal(MunicipalityStatus.Open, host.Services.GetRequiredService<MunicipalityTableFile>().Current.Check("0014", Today).Status);
        await AnnounceAsync(host, "0014"); // still accepted: the old table is in use

        TestTables.WriteShipped(TablePath, ("0014", "0344", Today));
        _time.Advance(Interval);
        await WaitUntilInAsync(host, "0344", arrival.ArrivalId);
    }

    [Fact]
    public async Task AnnounceArrival_AfterTableClosedTheCode_IsRefusedNamingTheCurrentSuccessor()
    {
        await using var host = await StartAsync();
        Assert.Equal("0014", (await AnnounceAsync(host, "0014")).Details.MunicipalityCode);

        ReplaceTable(host, ("0014", "0590", Today), ("0590", "0505", Today));

        var violations = await RpcAssert.InvalidArgumentAsync(() => AnnounceAsync(host, "0014"), "arrival.municipality_code");
        var description = Assert.Single(violations.FieldViolations).Description;
        Assert.Contains("0014 (Groningen) is closed today", description, StringComparison.Ordinal);
        Assert.Contains("current successor is 0505 (Dordrecht)", description, StringComparison.Ordinal);
        Assert.DoesNotContain("0590", description, StringComparison.Ordinal);
    }

    /// <summary>An arrival that arrived, was registered and has a BSN for every traveller.</summary>
    private async Task<Arrival> CompleteAsync(GatewayHost host, string code)
    {
        var registered = await host.RegisterAllAsync(await host.AnnounceArrivedAsync(TestArrivals.Family(code, travellers: 1, time: _time)));
        await host.CheckInAllAsync(registered); // nareizigers complete with the IND check-in
        var request = new ReportBsnAssignedRequest { RequestId = ArrivalSteps.NewRequestId(), ArrivalId = registered.ArrivalId };
        request.Assignments.Add(new BsnAssignment { VNumber = registered.Details.Travellers[0].VNumber, Bsn = TestArrivals.NewBsn() });
        var completed = (await host.Municipality(ArrivalSteps.OrganisationServing(code)).ReportBsnAssignedAsync(request)).Arrival;
        Assert.Equal(ArrivalState.Completed, completed.State);
        return completed;
    }
}
