using System.Collections.Concurrent;
using ExchangeGateway.Contracts.V1;
using ExchangeGateway.Server.Storage;
using ExchangeGateway.Tests.Fixtures;
using ExchangeGateway.Tests.Shared;
using Microsoft.EntityFrameworkCore;

namespace ExchangeGateway.Tests.Storage;

public sealed class SqliteBackupTests
{
    private static string NewTarget() => Path.Combine(Directory.CreateTempSubdirectory("exgw-test-backup-").FullName, "backup.db");

    [Fact]
    public async Task CreateAsync_WhileCoaAnnounces_CopyIsConsistentAndServesTheArrivals()
    {
        await using var host = await GatewayHost.StartAsync();
        var answered = new ConcurrentQueue<Arrival>();
        for (var i = 0; i < 10; i++)
        {
            answered.Enqueue(await host.AnnounceAsync(TestArrivals.Family()));
        }
        using var stop = new CancellationTokenSource();
        var writer = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                answered.Enqueue(await host.AnnounceAsync(TestArrivals.Family("0344")));
            }
        });
        await Eventually.TrueAsync(() => Task.FromResult(answered.Count >= 13), "COA is announcing");
        var answeredBeforeBackup = answered.ToList();

        var backup = await SqliteBackup.CreateAsync($"Data Source={host.DatabasePath}", NewTarget(), CancellationToken.None);

        var answeredAfterBackup = answered.Count;
        await Eventually.TrueAsync(() => Task.FromResult(answered.Count >= answeredAfterBackup + 3), "COA goes on announcing after the backup");
        await stop.CancelAsync();
        await writer;
        Assert.True(backup.Ok, backup.Integrity);
        Assert.Equal("ok", await SqliteBackup.IntegrityCheckAsync(backup.Target, CancellationToken.None));

        await using var restored = await GatewayHost.StartAsync(databasePath: backup.Target);
        foreach (var arrival in answeredBeforeBackup)
        {
            Assert.Equal(arrival.Details, (await restored.GetAsync(arrival.ArrivalId)).Details);
        }
        await using var db = restored.Db();
        var copied = await db.Arrivals.AsNoTracking().Include(a => a.Travellers).ToListAsync();
        Assert.InRange(copied.Count, answeredBeforeBackup.Count, answered.Count - 1);
        // Each announcement committed whole or not at all: travellers, history and both notices.
        var notices = await db.Notices.AsNoTracking().Select(n => new { n.FeedId, n.Sequence, n.Subject, n.Type }).ToListAsync();
        foreach (var arrival in copied)
        {
            Assert.Equal(2, arrival.Travellers.Count);
            Assert.Single(notices, n => n.Subject == arrival.Id && n.Type == ArrivalSteps.Announced);
            Assert.Single(notices, n => n.Subject == arrival.Id && n.Type == ArrivalSteps.TravellersAnnounced);
        }
        Assert.True(await db.ArrivalHistory.CountAsync() >= copied.Count);
        foreach (var feed in notices.GroupBy(n => n.FeedId))
        {
            Assert.Equal(Enumerable.Range(1, feed.Count()).Select(s => (long)s), feed.Select(n => n.Sequence).Order());
        }
    }

    [Fact]
    public async Task CreateAsync_TargetExists_RefusesAndLeavesItAlone()
    {
        await using var host = await GatewayHost.StartAsync();
        var target = NewTarget();
        await File.WriteAllTextAsync(target, "not a backup");

        await Assert.ThrowsAsync<BackupRefusedException>(() => SqliteBackup.CreateAsync($"Data Source={host.DatabasePath}", target, CancellationToken.None));

        Assert.Equal("not a backup", await File.ReadAllTextAsync(target));
    }

    [Fact]
    public async Task CreateAsync_NoDatabaseAtSource_RefusesAndCreatesNothing()
    {
        var source = Path.Combine(Directory.CreateTempSubdirectory("exgw-test-backup-").FullName, "missing.db");
        var target = NewTarget();

        await Assert.ThrowsAsync<BackupRefusedException>(() => SqliteBackup.CreateAsync($"Data Source={source}", target, CancellationToken.None));

        Assert.False(File.Exists(source));
        Assert.False(File.Exists(target));
    }
}
