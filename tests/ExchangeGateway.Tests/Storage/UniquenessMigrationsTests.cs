using ExchangeGateway.Contracts.V1;
using ExchangeGateway.Server.Storage;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace ExchangeGateway.Tests.Storage;

/// <summary>The migrations that let the database enforce rules across arrivals (one open arrival per
/// V-number, one person per BSN), on a database where an earlier version let them be broken: they must
/// neither fail nor drop or change anything stored, and must make each breach visible.</summary>
public sealed class UniquenessMigrationsTests : IDisposable
{
    private const string BeforeOpenVNumbers = "20261201104642_FeedEngine";
    private const string BeforeBsnHolders = "20261201155101_OpenVNumbers";
    private const string Shared = "1234567890";

    private readonly string _directory = Directory.CreateTempSubdirectory("exgw-migration-").FullName;

    [Fact]
    public async Task Migrate_TwoOpenArrivalsWithOneVNumber_EarliestKeepsItAndTheLaterIsEscalated()
    {
        await using var db = Database();
        var migrator = db.GetService<IMigrator>();
        await migrator.MigrateAsync(BeforeOpenVNumbers);
        // Announced first and open; announced later and open (the duplicate); cancelled; another person.
        await InsertArrivalAsync(db, "a-first", state: 1, announcedAt: "2026-11-01 10:00:00", Shared);
        await InsertArrivalAsync(db, "a-later", state: 2, announcedAt: "2026-11-02 10:00:00", "5555555555", Shared);
        await InsertArrivalAsync(db, "a-cancelled", state: 6, announcedAt: "2026-10-01 10:00:00", Shared);
        await InsertArrivalAsync(db, "a-other", state: 4, announcedAt: "2026-11-03 10:00:00", "7777777777");

        await migrator.MigrateAsync();

        var open = await db.Travellers.OrderBy(t => t.ArrivalId).ThenBy(t => t.Position)
            .Select(t => $"{t.ArrivalId}/{t.Position}: {t.OpenVNumber ?? "-"}").ToListAsync();
        Assert.Equal(["a-cancelled/0: -", "a-first/0: " + Shared, "a-later/0: 5555555555", "a-later/1: -", "a-other/0: 7777777777"], open);
        var escalation = Assert.Single(await db.Escalations.ToListAsync());
        Assert.Equal("a-later", escalation.ArrivalId);
        Assert.Equal(EscalationKind.IdentifierConflict, escalation.Kind);
        Assert.Null(escalation.ResolvedAt);
        Assert.StartsWith("V-number conflict for traveller 2 of this arrival", escalation.Description, StringComparison.Ordinal);
        Assert.DoesNotContain(Shared, escalation.Description, StringComparison.Ordinal);
        Assert.True(Guid.TryParse(escalation.Id, out _), escalation.Id);
        Assert.True(escalation.RaisedAt > DateTime.UtcNow.AddMinutes(-5), escalation.RaisedAt.ToString("O"));
    }

    [Fact]
    public async Task Migrate_OneBsnRecordedForTwoPeople_FirstReportedHoldsItAndTheOtherIsEscalated()
    {
        await using var db = Database();
        var migrator = db.GetService<IMigrator>();
        await migrator.MigrateAsync(BeforeBsnHolders);
        const string bsn = "111222333";
        await InsertArrivalAsync(db, "b-first", state: 5, announcedAt: "2026-09-01 10:00:00", "1000000001");
        await InsertArrivalAsync(db, "b-other-person", state: 4, announcedAt: "2026-09-02 10:00:00", "2000000002");
        await InsertArrivalAsync(db, "b-same-person-again", state: 4, announcedAt: "2026-10-01 10:00:00", "1000000001");
        await InsertArrivalAsync(db, "b-erased", state: 6, announcedAt: "2026-08-01 10:00:00", "#0");
        await SetBsnAsync(db, "b-first", bsn, "2026-09-05 10:00:00");
        await SetBsnAsync(db, "b-other-person", bsn, "2026-09-06 10:00:00");
        await SetBsnAsync(db, "b-same-person-again", bsn, "2026-10-05 10:00:00");
        await SetBsnAsync(db, "b-erased", "", "2026-08-05 10:00:00");

        await migrator.MigrateAsync();

        var holder = Assert.Single(await db.BsnHolders.ToListAsync());
        Assert.Equal((bsn, "1000000001"), (holder.Bsn, holder.VNumber));
        var escalation = Assert.Single(await db.Escalations.ToListAsync());
        Assert.Equal("b-other-person", escalation.ArrivalId);
        Assert.Equal(EscalationKind.IdentifierConflict, escalation.Kind);
        Assert.StartsWith("BSN conflict for traveller 1 of this arrival", escalation.Description, StringComparison.Ordinal);
        Assert.DoesNotContain(bsn, escalation.Description, StringComparison.Ordinal);
        Assert.Equal(3, await db.Travellers.CountAsync(t => t.Bsn == bsn)); // nothing stored is changed
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private SqliteGatewayDbContext Database() => new(SqliteGatewayDbContext.CreateOptions(new StorageOptions
    {
        ConnectionString = new SqliteConnectionStringBuilder { DataSource = Path.Combine(_directory, "gateway.db"), Pooling = false }.ToString(),
    }));

    private static async Task SetBsnAsync(GatewayDbContext db, string arrivalId, string bsn, string assignedAt) =>
        await db.Database.ExecuteSqlAsync($"""UPDATE "Travellers" SET "Bsn" = {bsn}, "BsnAssignedAt" = {assignedAt} WHERE "ArrivalId" = {arrivalId}""");

    private static async Task InsertArrivalAsync(GatewayDbContext db, string id, int state, string announcedAt, params string[] vNumbers)
    {
        await db.Database.ExecuteSqlAsync($"""
            INSERT INTO "Arrivals" ("Id", "CaseReference", "MunicipalityCode", "Kind", "State", "AnnouncedBy", "AnnouncedAt", "ExpectedArrivalDate", "Version", "Details")
            VALUES ({id}, 'COA-1', '0363', 1, {state}, 'coa', {announcedAt}, '2026-12-15', 1, x'')
            """);
        for (var position = 0; position < vNumbers.Length; position++)
        {
            await db.Database.ExecuteSqlAsync($"""
                INSERT INTO "Travellers" ("ArrivalId", "VNumber", "Position", "RegistrationStatus") VALUES ({id}, {vNumbers[position]}, {position}, 0)
                """);
        }
    }
}
