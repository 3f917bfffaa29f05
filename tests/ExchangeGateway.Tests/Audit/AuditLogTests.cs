using System.Text;
using ExchangeGateway.Contracts.V1;
using ExchangeGateway.Server.Audit;
using ExchangeGateway.Tests.Fixtures;
using ExchangeGateway.Tests.Shared;
using Grpc.Core;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ExchangeGateway.Tests.Audit;

public sealed class AuditLogTests(GatewayHostFixture fixture) : IClassFixture<GatewayHostFixture>
{
    private GatewayHost Host => fixture.Host;

    private AuditKey Key => Host.Services.GetRequiredService<AuditKey>();

    private async Task<IReadOnlyList<Server.Storage.AuditRecordEntity>> BySubjectAsync(string identifier)
    {
        await using var db = Host.Db();
        return await new AuditQuery(Subject: identifier).RunAsync(db, Key, CancellationToken.None);
    }

    [Fact]
    public async Task AnnounceArrival_Ok_RecordsOperationCallerTraceForeignOperationAndProtectedSubjects()
    {
        const string traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
        var details = TestArrivals.Family("0363");
        var headers = new Metadata { { "traceparent", $"00-{traceId}-00f067aa0ba902b7-01" } };

        var arrival = (await Host.Arrivals().AnnounceArrivalAsync(new AnnounceArrivalRequest { RequestId = ArrivalSteps.NewRequestId(), Arrival = details }, headers)).Arrival;

        var record = Assert.Single(await BySubjectAsync(details.Travellers[0].VNumber));
        Assert.Equal("/exchange.v1.ArrivalService/AnnounceArrival", record.Operation);
        Assert.Equal("Aankondigen aankomst", record.ProcessingActivity);
        Assert.Equal("coa", record.OrganisationId);
        Assert.Equal(20, record.CallerOin.Length);
        Assert.Equal("OK", record.Outcome);
        Assert.Equal(traceId, record.TraceId);
        Assert.Equal(16, record.OperationId.Length);
        Assert.NotEqual("00f067aa0ba902b7", record.OperationId);
        Assert.Equal("00f067aa0ba902b7", record.ForeignOperationId); // the caller's span, its own log's operation
        Assert.True(record.EndedAt >= record.StartedAt);
        Assert.Equal(3, record.Subjects.Count); // two travellers and the referent
        Assert.Contains(Key.Protect(SubjectKind.VNumber, details.Referent.VNumber), record.Subjects.Select(s => s.Subject));
        Assert.Single(await BySubjectAsync(details.Travellers[1].VNumber), r => r.Id == record.Id);
        Assert.NotNull(arrival);
    }

    [Fact]
    public async Task AuditTable_NeverHoldsAnIdentifierInClear()
    {
        var details = TestArrivals.Family("0344");
        var arrival = await Host.AnnounceAsync(details);
        await Host.GetAsync(arrival.ArrivalId, "gemeente-utrecht");

        await using var connection = new SqliteConnection($"Data Source={Host.DatabasePath};Mode=ReadOnly");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT r.TraceId || r.OperationId || r.Operation || r.ProcessingActivity || r.CallerOin || r.OrganisationId || r.Outcome || coalesce(s.Subject, '') FROM AuditRecords r LEFT JOIN AuditSubjects s ON s.RecordId = r.Id";
        var all = new StringBuilder();
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                all.AppendLine(reader.GetString(0));
            }
        }

        Assert.Contains(Key.Protect(SubjectKind.VNumber, details.Travellers[0].VNumber), all.ToString(), StringComparison.Ordinal); // the test can see a subject
        foreach (var traveller in details.Travellers)
        {
            Assert.DoesNotContain(traveller.VNumber, all.ToString(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task GetArrival_Read_IsRecordedWithTheSubjectsItReturned()
    {
        var arrival = await Host.AnnounceAsync(TestArrivals.Family("0363", 1));

        await Host.GetAsync(arrival.ArrivalId, "gemeente-amsterdam");

        var read = Assert.Single(await BySubjectAsync(arrival.Details.Travellers[0].VNumber), r => r.Operation.EndsWith("/GetArrival", StringComparison.Ordinal));
        Assert.Equal("gemeente-amsterdam", read.OrganisationId);
        Assert.Equal("Raadplegen aankomst", read.ProcessingActivity);
    }

    [Fact]
    public async Task LookupTraveller_NotFound_IsRecordedWithItsOutcome()
    {
        var vNumber = TestArrivals.NewVNumber();

        await RpcAssert.ThrowsAsync(StatusCode.NotFound, () => Host.Ind().LookupTravellerAsync(new LookupTravellerRequest { VNumber = vNumber }).ResponseAsync);

        var record = Assert.Single(await BySubjectAsync(vNumber));
        Assert.Equal("NOT_FOUND", record.Outcome);
        Assert.Equal("ind", record.OrganisationId);
    }

    [Fact]
    public async Task AnnounceArrival_Refused_RecordsTheRefusalAndNoSuccess()
    {
        var details = TestArrivals.Family("0363", 5); // the household policy refuses 5

        await RpcAssert.FailedPreconditionAsync(() => Host.AnnounceAsync(details), "HOUSEHOLD_POLICY");

        var record = Assert.Single(await BySubjectAsync(details.Travellers[0].VNumber));
        Assert.Equal("FAILED_PRECONDITION", record.Outcome);
    }

    [Fact]
    public async Task AnnounceArrival_RepeatedRequest_IsRecordedAgainAsTheAnswerIsHandedOutAgain()
    {
        var request = new AnnounceArrivalRequest { RequestId = ArrivalSteps.NewRequestId(), Arrival = TestArrivals.Family("0014", 1) };

        await Host.Arrivals().AnnounceArrivalAsync(request);
        await Host.Arrivals().AnnounceArrivalAsync(request);

        Assert.Equal(2, (await BySubjectAsync(request.Arrival.Travellers[0].VNumber)).Count(r => r.Outcome == "OK"));
    }

    [Fact]
    public async Task Subscribe_AcknowledgedDelivery_IsRecordedPerBatchWithItsSubjects()
    {
        var details = TestArrivals.Family("0505", 1);
        await Host.AnnounceAsync(details);
        await using (var reader = await FeedReader.OpenAsync(Host.Feed("brp-drechtsteden"), new OpenFeed { MunicipalityCode = "0505" }))
        {
            var notices = new List<Notice>();
            while (await reader.TryNextNoticeAsync(FeedReader.Quiet) is { } notice)
            {
                notices.Add(notice);
            }
            await reader.AcknowledgeAsync([.. notices.Select(n => n.Sequence)]);
        }

        var delivery = Assert.Single(await BySubjectAsync(details.Travellers[0].VNumber), r => r.Operation.EndsWith("/Subscribe", StringComparison.Ordinal));
        Assert.Equal("brp-drechtsteden", delivery.OrganisationId);
        Assert.Equal("Ontvangen notificaties", delivery.ProcessingActivity);
    }

    [Fact]
    public async Task Subscribe_DeliveryOfANoticeCausedByARecordedCall_IsFoundByThePersonsTheNoticeNamesOnly()
    {
        // The IND is told the travellers' V-numbers, not the referent's: its delivery concerns the travellers.
        var details = TestArrivals.Family("0363", 1);
        var arrival = await Host.AnnounceAsync(details);
        await using (var reader = await FeedReader.OpenAsync(Host.Feed("ind")))
        {
            Notice notice;
            do
            {
                notice = await reader.NextNoticeAsync();
            }
            while (notice.Subject != arrival.ArrivalId);
            await reader.AcknowledgeAsync(notice.Sequence);
        }

        var byTraveller = await BySubjectAsync(details.Travellers[0].VNumber);
        var byReferent = await BySubjectAsync(details.Referent.VNumber);

        var delivery = Assert.Single(byTraveller, r => r.Operation.EndsWith("/Subscribe", StringComparison.Ordinal) && r.OrganisationId == "ind");
        Assert.Contains(byTraveller, r => r.Operation.EndsWith("/AnnounceArrival", StringComparison.Ordinal));
        Assert.Contains(byReferent, r => r.Operation.EndsWith("/AnnounceArrival", StringComparison.Ordinal));
        Assert.DoesNotContain(byReferent, r => r.Id == delivery.Id);
        // Linked to the announcement's record, with the subjects of the notice itself.
        var link = Assert.Single(delivery.Deliveries);
        Assert.Equal(Key.Protect(SubjectKind.VNumber, details.Travellers[0].VNumber), link.Subjects);
        Assert.Empty(delivery.Subjects);
    }

    [Fact]
    public async Task Query_ByCallerAndTime_FiltersRecords()
    {
        var before = Host.Time.GetUtcNow().UtcDateTime.AddSeconds(-1);
        await Host.AnnounceAsync(TestArrivals.Family("0363", 1));
        await using var db = Host.Db();

        var byCoa = await new AuditQuery(Caller: "coa", From: before).RunAsync(db, Key, CancellationToken.None);
        var byNobody = await new AuditQuery(Caller: "nobody").RunAsync(db, Key, CancellationToken.None);

        Assert.NotEmpty(byCoa);
        Assert.All(byCoa, r => Assert.True(r.OrganisationId == "coa" && r.StartedAt >= before));
        Assert.Empty(byNobody);
    }
}
