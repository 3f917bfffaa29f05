using ExchangeGateway.Contracts.V1;
using ExchangeGateway.Tests.Fixtures;
using ExchangeGateway.Tests.Shared;
using ExchangeGateway.Server.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace ExchangeGateway.Tests.Storage;

public sealed class SqliteCheckpointerTests
{
    private const int RestartPages = 64;

    [Fact]
    public async Task CommittedAsync_WritesKeepComing_TheLogStartsOverInsteadOfGrowing()
    {
        await using var host = await GatewayHost.StartAsync(configure: o => o.Storage.SqliteLogRestartPages = RestartPages);
        var arrivals = host.Arrivals();

        // 32 callers announcing one after another keep the writer busy without a pause: 1,280
        // announcements write some 3,800 pages to the log. A passive checkpoint alone never finds the
        // writer starting a transaction with the whole log copied, so the log kept all of them (15.7 MB
        // measured without the writer's own checkpoint; 2.4-2.8 MB with it: the bound, plus what is
        // written while the background's report of the log's length is on its way).
        await Task.WhenAll(Enumerable.Range(0, 32).Select(async _ =>
        {
            for (var i = 0; i < 40; i++)
            {
                await arrivals.AnnounceArrivalAsync(new AnnounceArrivalRequest { RequestId = Guid.NewGuid().ToString(), Arrival = TestArrivals.Family("0363") });
            }
        }));

        var log = new FileInfo(host.DatabasePath + "-wal");
        Assert.True(log.Exists);
        Assert.InRange(log.Length, 1, 6 * 1024 * 1024);
    }

    [Fact]
    public async Task CheckpointAndTruncateAsync_WhileWritesKeepTheBackgroundCheckpointRunning_CompletesEveryTime()
    {
        // A short busy timeout: a truncating checkpoint that has to win the write lock from the single
        // writer by polling (SQLite's busy handler sleeps, the writer takes the lock again at once) lost
        // it for the whole timeout now and then (CI, 1 in 40 at 5 s); here it would lose it often.
        await using var host = await GatewayHost.StartAsync(configure: o => o.Storage.SqliteBusyTimeoutMilliseconds = 200);
        var arrivals = host.Arrivals();
        var contexts = host.Services.GetRequiredService<GatewayDbContextFactory>();
        using var stop = new CancellationTokenSource();
        var writers = Enumerable.Range(0, 16).Select(async _ =>
        {
            while (!stop.IsCancellationRequested)
            {
                await arrivals.AnnounceArrivalAsync(new AnnounceArrivalRequest { RequestId = Guid.NewGuid().ToString(), Arrival = TestArrivals.Family("0363") });
            }
        }).ToList();

        // The retention sweep truncates the log after an erase; a checkpoint already running (the
        // background one, after almost every commit here) must make it wait, not fail.
        var outcomes = new List<bool>();
        for (var i = 0; i < 40; i++)
        {
            outcomes.Add(await SqliteWal.CheckpointAndTruncateAsync(contexts, CancellationToken.None));
        }
        await stop.CancelAsync();
        await Task.WhenAll(writers);

        Assert.All(outcomes, Assert.True);
    }
}
