using ExchangeGateway.Contracts.V1;
using ExchangeGateway.EndToEnd.Fixtures;
using ExchangeGateway.Server.Rules;
using ExchangeGateway.Server.Storage;
using ExchangeGateway.Tests.Shared;
using Grpc.Core;

namespace ExchangeGateway.EndToEnd;

/// <summary>The chain calls on PostgreSQL through the real <c>exgw serve</c> and the SDK: the overview's
/// GROUP BY, LIKE and MIN queries and the resolution's conditional update, which the fast tests prove
/// on SQLite only.</summary>
public sealed class ChainPostgresTests(PostgresServer postgres) : IClassFixture<PostgresServer>
{
    [Fact]
    public async Task ReportOverviewResolve_OnPostgres_CountAndResolveAsOnSqlite()
    {
        await postgres.CreateDatabaseAsync("exgw_chain");
        var database = postgres.ConnectionString("exgw_chain");
        await using var gateway = await TestGateway.StartAsync(postgres: database);
        using var coa = gateway.ClientFor("coa");
        using var amsterdam = gateway.ClientFor("gemeente-amsterdam");
        using var chain = gateway.ClientFor("ketenregie");
        var here = await coa.AnnounceArrivalAsync(TestArrivals.Family("0363"));
        var elsewhere = await coa.AnnounceArrivalAsync(TestArrivals.Family("0344"));

        var report = await amsterdam.ReportUnannouncedArrivalAsync(
            [TestArrivals.NewVNumber(), elsewhere.Details.Travellers[0].VNumber, here.Details.Travellers[0].VNumber],
            AmsterdamCalendar.Today(TimeProvider.System));
        // An escalation without waiting out the acknowledgement deadline: written as the sweep would.
        var escalationId = Guid.CreateVersion7().ToString();
        await using (var db = new GatewayDbContextFactory(new StorageOptions { Provider = StorageProvider.PostgreSql, ConnectionString = database }).CreateDbContext())
        {
            db.Escalations.Add(new EscalationEntity
            {
                Id = escalationId,
                ArrivalId = here.ArrivalId,
                Kind = EscalationKind.AcknowledgementOverdue,
                RaisedAt = DateTime.UtcNow,
                Description = "Test escalation.",
            });
            await db.SaveChangesAsync();
        }
        var before = await chain.GetOverviewAsync();
        var resolved = await chain.ResolveEscalationAsync(escalationId, "Resolved in the test.");
        var again = await Assert.ThrowsAsync<RpcException>(() => chain.ResolveEscalationAsync(escalationId, "Again."));
        var after = await chain.GetOverviewAsync("0363");

        Assert.Equal([false, false, true], report.Persons.Select(p => p.AnnouncedHere));
        Assert.Equal(["0344", "0363"], before.Municipalities.Select(m => m.MunicipalityCode));
        var amsterdamRow = before.Municipalities[1];
        Assert.Equal("Amsterdam", amsterdamRow.Name);
        Assert.Equal([new StateCount { State = ArrivalState.Announced, Count = 1 }], amsterdamRow.ArrivalsByState);
        Assert.Equal([new EscalationCount { Kind = EscalationKind.AcknowledgementOverdue, Count = 1 }], amsterdamRow.OpenEscalations);
        Assert.Equal([UnannouncedMatch.NotAnnounced, UnannouncedMatch.AnnouncedHereNotAcknowledged, UnannouncedMatch.AnnouncedElsewhere],
            amsterdamRow.Unannounced.Select(u => u.Match));
        Assert.Equal(1, amsterdamRow.UnacknowledgedNotices);
        Assert.NotNull(amsterdamRow.OldestUnacknowledgedNotice);
        Assert.Equal(2, before.National.UnacknowledgedNotices);
        Assert.Equal(("ketenregie", "Resolved in the test."), (resolved.Escalation.ResolvedBy, resolved.Escalation.ResolutionNote));
        Assert.Equal(StatusCode.FailedPrecondition, again.StatusCode);
        Assert.Empty(Assert.Single(after.Municipalities).OpenEscalations);
        Assert.Equal("ketenregie", (await coa.GetArrivalAsync(here.ArrivalId)).Escalations.Single().ResolvedBy);
    }
}
