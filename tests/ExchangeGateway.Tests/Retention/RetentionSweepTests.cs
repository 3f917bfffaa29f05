using ExchangeGateway.Contracts.V1;
using ExchangeGateway.Server.Hosting;
using ExchangeGateway.Server.Retention;
using ExchangeGateway.Server.Storage;
using ExchangeGateway.Tests.Fixtures;
using ExchangeGateway.Tests.Shared;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace ExchangeGateway.Tests.Retention;

public sealed class RetentionSweepTests
{
    private static FakeTimeProvider NewTime() => new(DateTimeOffset.UtcNow);

    [Fact]
    public async Task RunAsync_CompletedArrivalPastRetention_ErasesPersonalDataAndKeepsStatistics()
    {
        var time = NewTime();
        await using var host = await RetentionSteps.StartAsync(time);
        var details = TestArrivals.Family("0363", travellers: 2, time: time);
        var completed = await host.CompleteAsync(details, [TestArrivals.NewBsn(), TestArrivals.NewBsn()], aNumber: "9376096018");

        time.Advance(RetentionSteps.Retention + TimeSpan.FromDays(1));
        await host.SweepAsync();

        var erased = await host.GetAsync(completed.ArrivalId);
        Assert.Equal(ArrivalState.Completed, erased.State);
        Assert.Equal(ArrivalKind.FamilyReunification, erased.Details.Kind);
        Assert.Equal("0363", erased.Details.MunicipalityCode);
        Assert.Equal(details.ExpectedArrivalDate, erased.Details.ExpectedArrivalDate);
        Assert.Empty(erased.Details.Travellers);
        Assert.Null(erased.Details.Referent);
        Assert.Null(erased.Details.DestinationAddress);
        Assert.Empty(erased.Details.CaseReference);
        Assert.Equal(2, erased.Travellers.Count);
        Assert.All(erased.Travellers, t =>
        {
            Assert.Empty(t.VNumber);
            Assert.Empty(t.Bsn);
            Assert.Empty(t.ANumber);
            Assert.Equal(RegistrationStatus.Registered, t.RegistrationStatus);
            Assert.NotNull(t.RegisteredOn);
            Assert.NotNull(t.BsnAssignedAt);
        });
        Assert.Equal(completed.Travellers.Select(t => t.State), erased.Travellers.Select(t => t.State));
        Assert.Equal(completed.History.Select(h => h.Action).Append(ArrivalErasure.HistoryAction), erased.History.Select(h => h.Action));
        Assert.Equal(completed.Version + 1, erased.Version);
        Assert.Equal(completed.AnnouncedAt, erased.AnnouncedAt);
        Assert.Equal(completed.ArrivedAt, erased.ArrivedAt);
        var listed = (await host.Arrivals().ListArrivalsAsync(new ListArrivalsRequest { MunicipalityCode = "0363" })).Arrivals;
        Assert.Contains(listed, a => a.ArrivalId == completed.ArrivalId && a.Travellers.All(t => t.VNumber.Length == 0));
        await RpcAssert.ThrowsAsync(StatusCode.NotFound, async () =>
            await host.Ind().LookupTravellerAsync(new LookupTravellerRequest { VNumber = details.Travellers[0].VNumber }));
    }

    [Fact]
    public async Task RunAsync_ErasedArrival_ItsNoticesKeepTheirPlaceWithoutPersonalData()
    {
        var time = NewTime();
        await using var host = await RetentionSteps.StartAsync(time);
        var details = TestArrivals.Family("0344", time: time);
        var completed = await host.CompleteAsync(details, [TestArrivals.NewBsn(), TestArrivals.NewBsn()]);
        var before = await host.NoticesAboutAsync(completed.ArrivalId);

        time.Advance(RetentionSteps.Retention + TimeSpan.FromDays(1));
        await host.SweepAsync();

        var after = await host.NoticesAboutAsync(completed.ArrivalId);
        Assert.Equal(before.Select(n => (n.Feed, n.Type, n.Notice.NoticeId)), after.Select(n => (n.Feed, n.Type, n.Notice.NoticeId)));
        Assert.All(after, n => Assert.Equal(completed.ArrivalId, n.Notice.Subject));
        Assert.Null(Assert.Single(after, n => n.Type == ArrivalSteps.Announced).Notice.ArrivalAnnounced.Details);
        Assert.Empty(Assert.Single(after, n => n.Type == ArrivalSteps.TravellersAnnounced).Notice.TravellersAnnounced.VNumbers);
        Assert.All(after.Where(n => n.Type == ArrivalSteps.BsnAssigned), n => Assert.Empty(n.Notice.BsnAssigned.Travellers));
        Assert.All(after.Where(n => n.Type == ArrivalSteps.RegistrationReported), n => Assert.Empty(n.Notice.RegistrationReported.Travellers));
    }

    [Fact]
    public async Task RunAsync_CancelledArrivalWithinRetention_KeepsPersonalData()
    {
        var time = NewTime();
        await using var host = await RetentionSteps.StartAsync(time);
        var announced = await host.AnnounceAsync(TestArrivals.Family(time: time));
        await host.CancelAsync(announced.ArrivalId, "Housing fell through.");

        time.Advance(RetentionSteps.Retention - TimeSpan.FromDays(1));
        await host.SweepAsync();

        var kept = await host.GetAsync(announced.ArrivalId);
        Assert.Equal(announced.Details, kept.Details);
        Assert.Equal("Housing fell through.", kept.CancellationReason);
        Assert.Equal(announced.Details.Travellers.Select(t => t.VNumber), kept.Travellers.Select(t => t.VNumber));
    }

    [Fact]
    public async Task RunAsync_CancelledArrivalPastRetention_ErasesReasonAndCaseReference()
    {
        var time = NewTime();
        await using var host = await RetentionSteps.StartAsync(time);
        var announced = await host.AnnounceAsync(TestArrivals.Family(time: time));
        var cancelled = await host.CancelAsync(announced.ArrivalId, "Mevrouw Jansen moved to Belgium.");

        time.Advance(RetentionSteps.Retention + TimeSpan.FromDays(1));
        await host.SweepAsync();

        var erased = await host.GetAsync(announced.ArrivalId);
        Assert.Equal(ArrivalState.Cancelled, erased.State);
        Assert.Equal(cancelled.CancelledAt, erased.CancelledAt);
        Assert.Empty(erased.CancellationReason);
        Assert.Empty(erased.Details.CaseReference);
        var listed = await host.Arrivals().ListArrivalsAsync(new ListArrivalsRequest { CaseReference = announced.Details.CaseReference });
        Assert.Empty(listed.Arrivals);
        Assert.All(await host.NoticesAboutAsync(announced.ArrivalId), n =>
            Assert.Empty(n.Notice.ArrivalCancelled?.Reason ?? ""));
    }

    [Fact]
    public async Task RunAsync_OpenArrivalLongPastRetention_IsKept()
    {
        var time = NewTime();
        await using var host = await RetentionSteps.StartAsync(time);
        var announced = await host.AnnounceAsync(TestArrivals.Family(time: time));

        time.Advance(RetentionSteps.Retention * 3);
        await host.SweepAsync();

        Assert.Equal(announced.Details, (await host.GetAsync(announced.ArrivalId)).Details);
    }

    [Fact]
    public async Task RunAsync_ActivityAfterClosing_RetentionRunsFromTheLastActivity()
    {
        var time = NewTime();
        await using var host = await RetentionSteps.StartAsync(time);
        var announced = await host.AnnounceAsync(TestArrivals.Family(time: time));
        await host.CancelAsync(announced.ArrivalId);
        time.Advance(TimeSpan.FromDays(60));
        await using (var db = host.Db())
        {
            // As an escalation resolved on the closed arrival would record it.
            db.ArrivalHistory.Add(new ArrivalHistoryEntity
            {
                ArrivalId = announced.ArrivalId,
                At = time.GetUtcNow().UtcDateTime,
                Actor = "ketenregie",
                Action = "escalation-resolved",
                Description = "Resolved.",
            });
            await db.SaveChangesAsync();
        }

        time.Advance(TimeSpan.FromDays(60)); // 120 days after cancelling, 60 after the last activity
        await host.SweepAsync();
        var kept = await host.GetAsync(announced.ArrivalId);
        time.Advance(TimeSpan.FromDays(31));
        await host.SweepAsync();
        var erased = await host.GetAsync(announced.ArrivalId);

        Assert.Equal(announced.Details, kept.Details);
        Assert.Empty(erased.Details.Travellers);
    }

    [Fact]
    public async Task RunAsync_ConsentRefusedArrivalPastRetention_ErasesRefusalReasons()
    {
        var time = NewTime();
        await using var host = await RetentionSteps.StartAsync(time);
        var announced = await host.AnnounceAsync(TestArrivals.Family(time: time));
        await using (var db = host.Db())
        {
            // DecideConsent is not served yet: put the arrival where a refusal would leave it.
            var now = time.GetUtcNow().UtcDateTime;
            await db.Arrivals.Where(a => a.Id == announced.ArrivalId).ExecuteUpdateAsync(s => s
                .SetProperty(a => a.State, ArrivalState.ConsentRefused)
                .SetProperty(a => a.ConsentStatus, ConsentStatus.Refused)
                .SetProperty(a => a.ConsentDecidedAt, now)
                .SetProperty(a => a.ConsentRefusalReason, "The referent Mr Haddad has no room."));
            await db.Travellers.Where(t => t.ArrivalId == announced.ArrivalId).ExecuteUpdateAsync(s => s
                .SetProperty(t => t.RefusalReason, "Identity of Amal not established."));
        }

        time.Advance(RetentionSteps.Retention + TimeSpan.FromDays(1));
        await host.SweepAsync();

        var erased = await host.GetAsync(announced.ArrivalId);
        Assert.Equal(ArrivalState.ConsentRefused, erased.State);
        Assert.Equal(ConsentStatus.Refused, erased.Consent.Status);
        Assert.NotNull(erased.Consent.DecidedAt);
        Assert.Empty(erased.Consent.RefusalReason);
        Assert.All(erased.Travellers, t => Assert.Empty(t.RefusalReason));
    }

    [Fact]
    public async Task RunAsync_TwoInstancesAtOnce_EraseEachArrivalOnce()
    {
        var time = NewTime();
        await using var host = await RetentionSteps.StartAsync(time);
        var ids = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            var announced = await host.AnnounceAsync(TestArrivals.Family(time: time));
            await host.CancelAsync(announced.ArrivalId);
            ids.Add(announced.ArrivalId);
        }
        using var other = ActivatorUtilities.CreateInstance<RetentionSweep>(host.Services);

        time.Advance(RetentionSteps.Retention + TimeSpan.FromDays(1));
        await Task.WhenAll(host.SweepAsync(), other.RunAsync(CancellationToken.None));

        await using var db = host.Db();
        var erasures = await db.ArrivalHistory.Where(h => ids.Contains(h.ArrivalId) && h.Action == ArrivalErasure.HistoryAction)
            .GroupBy(h => h.ArrivalId).Select(g => g.Count()).ToListAsync();
        Assert.Equal(Enumerable.Repeat(1, ids.Count), erasures);
        Assert.Equal(ids.Count, await db.Arrivals.CountAsync(a => ids.Contains(a.Id) && a.PersonalDataErasedAt != null));
    }

    [Fact]
    public async Task RunAsync_StoredAnswersOlderThanRetention_AreForgottenEvenBeforeTheyExpire()
    {
        var time = NewTime();
        await using var host = await GatewayHost.StartAsync(time, configure: options =>
        {
            options.AcknowledgementDeadline = TimeSpan.FromDays(10_000);
            options.RequestIdRetention = TimeSpan.FromDays(30);
            options.Retention.PersonalDataRetention = TimeSpan.FromDays(7);
        });
        var requestId = ArrivalSteps.NewRequestId();
        await host.Arrivals().AnnounceArrivalAsync(new AnnounceArrivalRequest { RequestId = requestId, Arrival = TestArrivals.Family(time: time) });

        time.Advance(TimeSpan.FromDays(8));
        await host.SweepAsync();

        await using var db = host.Db();
        Assert.False(await db.IdempotencyRecords.AnyAsync(r => r.RequestId == requestId));
    }

    [Fact]
    public async Task RunAsync_UnannouncedReportPastRetention_ErasesVNumbersAndKeepsCounts()
    {
        var time = NewTime();
        await using var host = await RetentionSteps.StartAsync(time);
        var reportId = Guid.NewGuid().ToString();
        var vNumbers = new[] { TestArrivals.NewVNumber(), TestArrivals.NewVNumber() };
        var reported = new UnannouncedArrivalReported { ReportId = reportId, MunicipalityCode = "0363", Note = "Two adults." };
        reported.Persons.AddRange(vNumbers.Select(v => new UnannouncedPerson { VNumber = v, Match = UnannouncedMatch.NotAnnounced }));
        var body = ReportNotice(reported);
        await using (var db = host.Db())
        {
            var now = time.GetUtcNow().UtcDateTime;
            db.UnannouncedReports.Add(new UnannouncedReportEntity
            {
                Id = reportId,
                MunicipalityCode = "0363",
                ReportedBy = "gemeente-amsterdam",
                ReportedAt = now,
                ArrivedOn = DateOnly.FromDateTime(now),
                Note = "Two adults.",
                Persons = [.. vNumbers.Select((v, i) => new UnannouncedPersonEntity { ReportId = reportId, Position = i, VNumber = v, Match = UnannouncedMatch.NotAnnounced })],
            });
            db.Notices.Add(new NoticeEntity
            {
                FeedId = "chain",
                Sequence = 1_000_000,
                NoticeId = body.NoticeId,
                Type = body.Type,
                Subject = reportId,
                CreatedAt = now,
                AcknowledgedAt = now,
                Body = body.ToByteArray(),
            });
            await db.SaveChangesAsync();
        }

        time.Advance(RetentionSteps.Retention + TimeSpan.FromDays(1));
        await host.SweepAsync();

        await using var check = host.Db();
        var report = await check.UnannouncedReports.AsNoTracking().Include(r => r.Persons).SingleAsync(r => r.Id == reportId);
        Assert.Equal(2, report.Persons.Count);
        Assert.All(report.Persons, p => Assert.Empty(p.VNumber));
        Assert.All(report.Persons, p => Assert.Equal(UnannouncedMatch.NotAnnounced, p.Match));
        Assert.Equal("Two adults.", report.Note);
        var notice = Notice.Parser.ParseFrom((await check.Notices.SingleAsync(n => n.Subject == reportId)).Body);
        Assert.Equal(reportId, notice.UnannouncedArrivalReported.ReportId);
        Assert.Empty(notice.UnannouncedArrivalReported.Persons);
    }

    [Fact]
    public void Constructor_RetentionNotPositive_Refuses()
    {
        var options = Options.Create(new GatewayOptions { Retention = { PersonalDataRetention = TimeSpan.Zero } });

        var refused = Assert.Throws<InvalidOperationException>(() => new RetentionSweep(null!, null!, null!, TimeProvider.System, options, NullLogger<RetentionSweep>.Instance));

        Assert.Contains("Gateway:Retention:PersonalDataRetention", refused.Message, StringComparison.Ordinal);
    }

    private static Notice ReportNotice(UnannouncedArrivalReported reported) => new()
    {
        NoticeId = Guid.NewGuid().ToString(),
        Type = "nl.asielketen.onaangekondigde-aankomst",
        SpecVersion = "1.0",
        Subject = reported.ReportId,
        UnannouncedArrivalReported = reported,
    };
}
