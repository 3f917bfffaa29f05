using ExchangeGateway.Contracts.V1;
using ExchangeGateway.Server.Identity;
using ExchangeGateway.Tests.Fixtures;
using ExchangeGateway.Tests.Shared;
using Grpc.Core;
using Microsoft.EntityFrameworkCore;

namespace ExchangeGateway.Tests.Municipalities;

public sealed class ReportUnannouncedArrivalTests(GatewayHostFixture fixture) : IClassFixture<GatewayHostFixture>
{
    private const string Reported = "nl.asielketen.onaangekondigde-aankomst";

    private GatewayHost Host => fixture.Host;

    private ReportUnannouncedArrivalRequest Request(params string[] vNumbers)
    {
        var request = new ReportUnannouncedArrivalRequest
        {
            RequestId = ArrivalSteps.NewRequestId(),
            MunicipalityCode = "0363",
            ArrivedOn = TestArrivals.ToDate(Host.Today().AddDays(-1)),
            Note = "Found at the referent's address during a home visit.",
        };
        request.VNumbers.AddRange(vNumbers);
        return request;
    }

    private Task<ReportUnannouncedArrivalResponse> ReportAsync(ReportUnannouncedArrivalRequest request, string organisationId = "gemeente-amsterdam") =>
        Host.Municipality(organisationId).ReportUnannouncedArrivalAsync(request).ResponseAsync;

    private async Task<List<Server.Storage.UnannouncedPersonEntity>> StoredPersonsAsync(string reportId)
    {
        await using var db = Host.Db();
        return await db.UnannouncedPersons.AsNoTracking().Where(p => p.ReportId == reportId).OrderBy(p => p.Position).ToListAsync();
    }

    [Fact]
    public async Task ReportUnannouncedArrival_NobodyAnnounced_StoresReportAndAnswersNotAnnouncedHere()
    {
        var vNumber = TestArrivals.NewVNumber();
        var request = Request(vNumber);

        var response = await ReportAsync(request);

        Assert.True(Guid.TryParseExact(response.ReportId, "D", out _));
        var person = Assert.Single(response.Persons);
        Assert.Equal(new UnannouncedPersonResult { VNumber = vNumber, AnnouncedHere = false, ArrivalId = "" }, person);
        await using var db = Host.Db();
        var report = await db.UnannouncedReports.AsNoTracking().Include(r => r.Persons).SingleAsync(r => r.Id == response.ReportId);
        Assert.Equal("0363", report.MunicipalityCode);
        Assert.Equal("gemeente-amsterdam", report.ReportedBy);
        Assert.Equal(Host.Today().AddDays(-1), report.ArrivedOn);
        Assert.Equal(request.Note, report.Note);
        var stored = Assert.Single(report.Persons);
        Assert.Equal((vNumber, UnannouncedMatch.NotAnnounced, (string?)null), (stored.VNumber, stored.Match, stored.MatchedArrivalId));
    }

    [Fact]
    public async Task ReportUnannouncedArrival_AnnouncedHereAndAcknowledged_AnswersArrivalAndRecordsHistory()
    {
        var arrival = await Host.AnnounceAsync(TestArrivals.Family("0363"));
        await Host.AcknowledgeAnnouncementAsync(arrival.ArrivalId);
        var vNumber = arrival.Details.Travellers[1].VNumber;

        var response = await ReportAsync(Request(vNumber));

        Assert.Equal(new UnannouncedPersonResult { VNumber = vNumber, AnnouncedHere = true, ArrivalId = arrival.ArrivalId }, Assert.Single(response.Persons));
        var stored = Assert.Single(await StoredPersonsAsync(response.ReportId));
        Assert.Equal((UnannouncedMatch.AnnouncedHere, arrival.ArrivalId, "0363"), (stored.Match, stored.MatchedArrivalId, stored.MatchedMunicipalityCode));
        var after = await Host.GetAsync(arrival.ArrivalId);
        var entry = after.History.Last();
        Assert.Equal("reported-unannounced", entry.Action);
        Assert.Equal("gemeente-amsterdam", entry.Actor);
        Assert.Contains(response.ReportId, entry.Description, StringComparison.Ordinal);
        Assert.DoesNotContain(vNumber, entry.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReportUnannouncedArrival_AnnouncedHereNotAcknowledged_AnswersArrivalAndMatchesNotAcknowledged()
    {
        var arrival = await Host.AnnounceAsync(TestArrivals.Family("0363"));
        var vNumber = arrival.Details.Travellers[0].VNumber;

        var response = await ReportAsync(Request(vNumber));

        Assert.Equal(new UnannouncedPersonResult { VNumber = vNumber, AnnouncedHere = true, ArrivalId = arrival.ArrivalId }, Assert.Single(response.Persons));
        Assert.Equal(UnannouncedMatch.AnnouncedHereNotAcknowledged, Assert.Single(await StoredPersonsAsync(response.ReportId)).Match);
    }

    [Fact]
    public async Task ReportUnannouncedArrival_AnnouncedElsewhere_AnswersExactlyAsForAPersonNobodyKnows()
    {
        var utrecht = await Host.AnnounceAsync(TestArrivals.Family("0344"));
        var announcedElsewhere = utrecht.Details.Travellers[0].VNumber;
        var unknown = TestArrivals.NewVNumber();

        var elsewhereAnswer = await ReportAsync(Request(announcedElsewhere));
        var unknownAnswer = await ReportAsync(Request(unknown));
        var bothAnswer = await ReportAsync(Request(announcedElsewhere, unknown));

        // Apart from the report id and the V-number as given, the answers are the same bytes.
        Assert.Equal(Blind(elsewhereAnswer), Blind(unknownAnswer));
        Assert.Equal(Blind(bothAnswer).Persons[0], Blind(bothAnswer).Persons[1]);
        Assert.All(bothAnswer.Persons, p => Assert.False(p.AnnouncedHere));
        // The gateway itself knows, and tells COA, the IND and chain coordination.
        var stored = await StoredPersonsAsync(bothAnswer.ReportId);
        Assert.Equal((UnannouncedMatch.AnnouncedElsewhere, utrecht.ArrivalId, "0344"), (stored[0].Match, stored[0].MatchedArrivalId, stored[0].MatchedMunicipalityCode));
        Assert.Equal(UnannouncedMatch.NotAnnounced, stored[1].Match);
        // Neither the reporter's feed nor the other municipality's feed gets anything about the report.
        Assert.Equal([FeedNames.Chain, FeedNames.Coa, FeedNames.Ind], await Host.FeedsWithNoticeAboutAsync(bothAnswer.ReportId, Reported));

        static ReportUnannouncedArrivalResponse Blind(ReportUnannouncedArrivalResponse response)
        {
            var copy = response.Clone();
            copy.ReportId = "";
            foreach (var person in copy.Persons)
            {
                person.VNumber = "";
            }
            return copy;
        }
    }

    [Fact]
    public async Task ReportUnannouncedArrival_OnlyCancelledArrivalHere_IsNotAnnouncedHereAndMatchesOnlyClosed()
    {
        var arrival = await Host.AnnounceAsync(TestArrivals.Family("0363"));
        await Host.Arrivals().CancelArrivalAsync(new CancelArrivalRequest { RequestId = ArrivalSteps.NewRequestId(), ArrivalId = arrival.ArrivalId, Reason = "Plans changed." });
        var vNumber = arrival.Details.Travellers[0].VNumber;
        var versionBefore = (await Host.GetAsync(arrival.ArrivalId)).Version;

        var response = await ReportAsync(Request(vNumber));

        Assert.False(Assert.Single(response.Persons).AnnouncedHere);
        Assert.Empty(response.Persons[0].ArrivalId);
        var stored = Assert.Single(await StoredPersonsAsync(response.ReportId));
        Assert.Equal((UnannouncedMatch.OnlyClosedArrivals, arrival.ArrivalId), (stored.Match, stored.MatchedArrivalId));
        Assert.Equal(versionBefore, (await Host.GetAsync(arrival.ArrivalId)).Version); // closed arrivals are left as they ended
    }

    [Fact]
    public async Task ReportUnannouncedArrival_Reported_NoticesReachCoaAndIndWithVNumbersAndChainWithout()
    {
        var utrecht = await Host.AnnounceAsync(TestArrivals.Family("0344"));
        var request = Request(utrecht.Details.Travellers[0].VNumber, TestArrivals.NewVNumber());

        var response = await ReportAsync(request);

        var toCoa = await Host.DeliveredAsync("coa", FeedNames.Coa, response.ReportId, Reported);
        var toInd = await Host.DeliveredAsync("ind", FeedNames.Ind, response.ReportId, Reported);
        var toChain = await Host.DeliveredAsync("ketenregie", FeedNames.Chain, response.ReportId, Reported);
        var expected = new UnannouncedArrivalReported
        {
            ReportId = response.ReportId,
            MunicipalityCode = "0363",
            ArrivedOn = request.ArrivedOn,
            Note = request.Note,
        };
        expected.Persons.Add(new UnannouncedPerson
        {
            VNumber = request.VNumbers[0],
            Match = UnannouncedMatch.AnnouncedElsewhere,
            MatchedArrivalId = utrecht.ArrivalId,
            MatchedMunicipalityCode = "0344",
        });
        expected.Persons.Add(new UnannouncedPerson { VNumber = request.VNumbers[1], Match = UnannouncedMatch.NotAnnounced });
        Assert.Equal(expected, toCoa.UnannouncedArrivalReported);
        Assert.Equal(expected, toInd.UnannouncedArrivalReported);
        var withoutVNumbers = expected.Clone();
        withoutVNumbers.Persons[0].VNumber = "";
        withoutVNumbers.Persons[1].VNumber = "";
        Assert.Equal(withoutVNumbers, toChain.UnannouncedArrivalReported);
        Assert.Contains("systeem:gemeente-amsterdam", toCoa.Source, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReportUnannouncedArrival_AnnouncedElsewhere_RecordsOnThatArrivalWithoutPersonalData()
    {
        var utrecht = await Host.AnnounceAsync(TestArrivals.Family("0344"));
        var vNumber = utrecht.Details.Travellers[0].VNumber;

        var response = await ReportAsync(Request(vNumber));

        var entry = (await Host.GetAsync(utrecht.ArrivalId)).History.Last();
        Assert.Equal("reported-unannounced", entry.Action);
        Assert.Contains("0363", entry.Description, StringComparison.Ordinal);
        Assert.Contains(response.ReportId, entry.Description, StringComparison.Ordinal);
        Assert.DoesNotContain(vNumber, entry.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReportUnannouncedArrival_SameRequestTwice_ReturnsSameAnswerAndStoresOnce()
    {
        var request = Request(TestArrivals.NewVNumber(), TestArrivals.NewVNumber());

        var first = await ReportAsync(request);
        var second = await ReportAsync(request);

        Assert.Equal(first, second);
        await using var db = Host.Db();
        Assert.Equal(1, await db.UnannouncedPersons.CountAsync(p => p.VNumber == request.VNumbers[0]));
        Assert.Equal([FeedNames.Chain, FeedNames.Coa, FeedNames.Ind], await Host.FeedsWithNoticeAboutAsync(first.ReportId, Reported));
    }

    [Fact]
    public async Task ReportUnannouncedArrival_EmptyCodeForOrganisationWithOneCode_UsesThatCode()
    {
        var request = Request(TestArrivals.NewVNumber());
        request.MunicipalityCode = "";

        var response = await ReportAsync(request, "gemeente-groningen");

        await using var db = Host.Db();
        Assert.Equal("0014", (await db.UnannouncedReports.SingleAsync(r => r.Id == response.ReportId)).MunicipalityCode);
    }

    [Fact]
    public async Task ReportUnannouncedArrival_SecondCodeOfOrganisationServingTwo_IsStoredForThatCode()
    {
        var arrival = await Host.AnnounceAsync(TestArrivals.Family("0590"));
        var request = Request(arrival.Details.Travellers[0].VNumber);
        request.MunicipalityCode = "0590";

        var response = await ReportAsync(request, "brp-drechtsteden");

        Assert.True(Assert.Single(response.Persons).AnnouncedHere);
        Assert.Equal(arrival.ArrivalId, response.Persons[0].ArrivalId);
    }

    [Fact]
    public async Task ReportUnannouncedArrival_EmptyCodeForOrganisationServingTwo_IsInvalidArgumentOnMunicipalityCode()
    {
        var request = Request(TestArrivals.NewVNumber());
        request.MunicipalityCode = "";

        await RpcAssert.InvalidArgumentAsync(() => ReportAsync(request, "brp-drechtsteden"), "municipality_code");
    }

    [Fact]
    public async Task ReportUnannouncedArrival_CodeTheCallerDoesNotServe_IsPermissionDeniedAndStoresNothing()
    {
        var request = Request(TestArrivals.NewVNumber());
        request.MunicipalityCode = "0344";

        await RpcAssert.ReasonAsync(StatusCode.PermissionDenied, "NOT_YOUR_MUNICIPALITY", () => ReportAsync(request));

        await using var db = Host.Db();
        Assert.False(await db.UnannouncedPersons.AnyAsync(p => p.VNumber == request.VNumbers[0]));
    }

    [Fact]
    public async Task ReportUnannouncedArrival_EveryFieldInvalid_NamesEachFieldAndStoresNothing()
    {
        var good = TestArrivals.NewVNumber();
        var request = new ReportUnannouncedArrivalRequest
        {
            RequestId = "",
            MunicipalityCode = "363",
            ArrivedOn = new Date { Year = 2025, Month = 0, Day = 0 },
            Note = new string('x', 501),
        };
        request.VNumbers.AddRange([good, "12345", good]);

        var badRequest = await RpcAssert.InvalidArgumentAsync(() => ReportAsync(request),
            "request_id", "municipality_code", "v_numbers[1]", "v_numbers[2]", "arrived_on", "note");

        Assert.DoesNotContain(badRequest.FieldViolations, v => v.Description.Contains(good, StringComparison.Ordinal));
        await using var db = Host.Db();
        Assert.False(await db.UnannouncedPersons.AnyAsync(p => p.VNumber == good));
    }

    [Fact]
    public async Task ReportUnannouncedArrival_NoVNumbers_IsInvalidArgumentOnVNumbers()
    {
        await RpcAssert.InvalidArgumentAsync(() => ReportAsync(Request()), "v_numbers");
    }

    [Fact]
    public async Task ReportUnannouncedArrival_MoreThan25VNumbers_IsInvalidArgumentOnVNumbers()
    {
        var request = Request([.. Enumerable.Range(0, 26).Select(_ => TestArrivals.NewVNumber())]);

        await RpcAssert.InvalidArgumentAsync(() => ReportAsync(request), "v_numbers");
    }

    [Fact]
    public async Task ReportUnannouncedArrival_Exactly25VNumbers_IsAccepted()
    {
        var request = Request([.. Enumerable.Range(0, 25).Select(_ => TestArrivals.NewVNumber())]);

        var response = await ReportAsync(request);

        Assert.Equal(request.VNumbers, response.Persons.Select(p => p.VNumber));
    }

    [Fact]
    public async Task ReportUnannouncedArrival_ArrivedOnMissing_IsInvalidArgumentOnArrivedOn()
    {
        var request = Request(TestArrivals.NewVNumber());
        request.ArrivedOn = null;

        await RpcAssert.InvalidArgumentAsync(() => ReportAsync(request), "arrived_on");
    }

    [Fact]
    public async Task ReportUnannouncedArrival_ArrivedOnTomorrow_IsInvalidArgumentOnArrivedOn()
    {
        var request = Request(TestArrivals.NewVNumber());
        request.ArrivedOn = TestArrivals.ToDate(Host.Today().AddDays(1));

        await RpcAssert.InvalidArgumentAsync(() => ReportAsync(request), "arrived_on");
    }

    [Fact]
    public async Task ReportUnannouncedArrival_ArrivedOnMoreThanAYearAgo_IsInvalidArgumentOnArrivedOn()
    {
        var request = Request(TestArrivals.NewVNumber());
        request.ArrivedOn = TestArrivals.ToDate(Host.Today().AddYears(-1).AddDays(-1));

        await RpcAssert.InvalidArgumentAsync(() => ReportAsync(request), "arrived_on");
    }

    [Fact]
    public async Task ReportUnannouncedArrival_ArrivedTodayOrExactlyAYearAgo_IsAccepted()
    {
        var today = Request(TestArrivals.NewVNumber());
        today.ArrivedOn = TestArrivals.ToDate(Host.Today());
        var yearAgo = Request(TestArrivals.NewVNumber());
        yearAgo.ArrivedOn = TestArrivals.ToDate(Host.Today().AddYears(-1));

        Assert.Single((await ReportAsync(today)).Persons);
        Assert.Single((await ReportAsync(yearAgo)).Persons);
    }

    [Theory]
    [InlineData("coa")]
    [InlineData("ind")]
    [InlineData("ketenregie")]
    public async Task ReportUnannouncedArrival_ByOrganisationThatIsNoMunicipality_IsPermissionDenied(string organisationId)
    {
        await RpcAssert.ReasonAsync(StatusCode.PermissionDenied, "ROLE_NOT_ALLOWED",
            () => ReportAsync(Request(TestArrivals.NewVNumber()), organisationId));
    }
}
