using ExchangeGateway.Contracts.V1;
using ExchangeGateway.EndToEnd.Fixtures;
using ExchangeGateway.Server.Audit;
using ExchangeGateway.Server.Feed;
using ExchangeGateway.Server.Hosting;
using ExchangeGateway.Server.Retention;
using ExchangeGateway.Server.Storage;
using ExchangeGateway.Tests.Shared;
using Google.Protobuf;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace ExchangeGateway.EndToEnd;

/// <summary>Retention on a database that several gateway instances share: two sweeps (each with its
/// own store and connection pool, as two instances have) erase the same closed arrivals at once.</summary>
public sealed class RetentionPostgresTests(PostgresServer postgres) : IClassFixture<PostgresServer>
{
    [Fact]
    public async Task Sweep_TwoInstancesOnePostgresDatabase_EraseEveryDueArrivalOnceAndKeepTheRest()
    {
        await postgres.CreateDatabaseAsync("exgw_retention");
        var storage = new StorageOptions { Provider = StorageProvider.PostgreSql, ConnectionString = postgres.ConnectionString("exgw_retention") };
        var options = Options.Create(new GatewayOptions { Storage = storage, Retention = { BatchSize = 3 } });
        var contexts = new GatewayDbContextFactory(storage);
        await contexts.MigrateAsync(CancellationToken.None);
        var now = DateTime.UtcNow;
        var due = new List<string>();
        for (var i = 0; i < 10; i++)
        {
            due.Add(await SeedClosedArrivalAsync(contexts, lastActivity: now.AddDays(-100), sequence: i + 1));
        }
        var recent = await SeedClosedArrivalAsync(contexts, lastActivity: now.AddDays(-10), sequence: 11);

        await using var first = Instance(contexts, options);
        await using var second = Instance(contexts, options);
        await Task.WhenAll(first.Sweep.RunAsync(CancellationToken.None), second.Sweep.RunAsync(CancellationToken.None));

        await using var db = contexts.CreateDbContext();
        var erasures = await db.ArrivalHistory.Where(h => h.Action == ArrivalErasure.HistoryAction)
            .GroupBy(h => h.ArrivalId).Select(g => new { ArrivalId = g.Key, Count = g.Count() }).ToListAsync();
        Assert.Equal(due.Order(), erasures.Select(e => e.ArrivalId).Order());
        Assert.All(erasures, e => Assert.Equal(1, e.Count));
        var travellers = await db.Travellers.AsNoTracking().ToListAsync();
        Assert.All(travellers.Where(t => due.Contains(t.ArrivalId)), t =>
        {
            Assert.StartsWith(ArrivalErasure.ErasedVNumberPrefix, t.VNumber, StringComparison.Ordinal);
            Assert.Equal("", t.Bsn); // had one; erased
        });
        Assert.All(travellers.Where(t => t.ArrivalId == recent), t => Assert.NotNull(t.Bsn));
        var notices = await db.Notices.AsNoTracking().ToListAsync();
        Assert.All(notices.Where(n => due.Contains(n.Subject)), n => Assert.Null(Notice.Parser.ParseFrom(n.Body).ArrivalAnnounced.Details));
        Assert.NotNull(Notice.Parser.ParseFrom(notices.Single(n => n.Subject == recent).Body).ArrivalAnnounced.Details);
    }

    private static async Task<string> SeedClosedArrivalAsync(GatewayDbContextFactory contexts, DateTime lastActivity, int sequence)
    {
        var id = Guid.CreateVersion7().ToString();
        var details = TestArrivals.Family("0363");
        await using var db = contexts.CreateDbContext();
        db.Arrivals.Add(new ArrivalEntity
        {
            Id = id,
            CaseReference = details.CaseReference,
            MunicipalityCode = "0363",
            Kind = details.Kind,
            State = ArrivalState.Cancelled,
            AnnouncedBy = "coa",
            AnnouncedAt = lastActivity.AddDays(-20),
            ExpectedArrivalDate = new DateOnly(2026, 1, 1),
            CancelledAt = lastActivity,
            CancellationReason = "Housing fell through.",
            Details = details.ToByteArray(),
            Travellers = [.. details.Travellers.Select((t, i) => new TravellerEntity { ArrivalId = id, VNumber = t.VNumber, Position = i, Bsn = TestArrivals.NewBsn() })],
            History = [new ArrivalHistoryEntity { ArrivalId = id, At = lastActivity, Actor = "coa", Action = "cancelled", Description = "Cancelled by COA." }],
        });
        var notice = new Notice { NoticeId = Guid.NewGuid().ToString(), Subject = id, ArrivalAnnounced = new ArrivalAnnounced { ArrivalId = id, Details = details } };
        db.Notices.Add(new NoticeEntity
        {
            FeedId = "municipality:0363",
            Sequence = sequence,
            NoticeId = notice.NoticeId,
            Type = "nl.asielketen.aankomst-aangekondigd",
            Subject = id,
            CreatedAt = lastActivity.AddDays(-20),
            AcknowledgedAt = lastActivity.AddDays(-20),
            Body = notice.ToByteArray(),
        });
        await db.SaveChangesAsync();
        return id;
    }

    private static readonly AuditKey AuditKeyForTests = new(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));

    private static GatewayInstance Instance(GatewayDbContextFactory contexts, IOptions<GatewayOptions> options)
    {
        var feeds = new FeedHub(contexts, TimeProvider.System, options, NullLoggerFactory.Instance);
        var store = new GatewayStore(contexts, feeds, AuditKeyForTests, TimeProvider.System, options, NullLogger<GatewayStore>.Instance);
        return new GatewayInstance(feeds, store, new RetentionSweep(store, feeds, contexts, TimeProvider.System, options, NullLogger<RetentionSweep>.Instance));
    }

    /// <summary>What one gateway instance brings to a sweep: its own store (write batcher, connections).</summary>
    private sealed record GatewayInstance(FeedHub Feeds, GatewayStore Store, RetentionSweep Sweep) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            Sweep.Dispose();
            await Store.DisposeAsync();
            await Feeds.DisposeAsync();
        }
    }
}
