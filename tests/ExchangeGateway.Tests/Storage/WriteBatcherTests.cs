using ExchangeGateway.Contracts.V1;
using ExchangeGateway.Tests.Fixtures;
using ExchangeGateway.Tests.Shared;
using ExchangeGateway.Server.Identity;
using ExchangeGateway.Server.Storage;
using Grpc.Core;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ExchangeGateway.Tests.Storage;

public sealed class WriteBatcherTests(GatewayHostFixture fixture) : IClassFixture<GatewayHostFixture>
{
    private GatewayHost Host => fixture.Host;

    [Fact]
    public async Task WriteAsync_ManyConcurrentAnnouncements_AllStoredWithGapFreeSequences()
    {
        var arrivals = Host.Arrivals();
        var details = Enumerable.Range(0, 200).Select(_ => TestArrivals.Family("0344", travellers: 1)).ToList();

        var answers = await Task.WhenAll(details.Select(d =>
            arrivals.AnnounceArrivalAsync(new AnnounceArrivalRequest { RequestId = Guid.NewGuid().ToString(), Arrival = d }).ResponseAsync));

        Assert.Equal(200, answers.Select(a => a.Arrival.ArrivalId).Distinct().Count());
        await using var db = Host.Db();
        foreach (var feed in new[] { "municipality:0344", "ind" })
        {
            var sequences = await db.Notices.Where(n => n.FeedId == feed).Select(n => n.Sequence).OrderBy(s => s).ToListAsync();
            var head = await db.Feeds.Where(f => f.Id == feed).Select(f => f.HeadSequence).SingleAsync();
            Assert.Equal(Enumerable.Range(1, sequences.Count).Select(i => (long)i), sequences);
            Assert.Equal(sequences.Count, head);
        }
    }

    [Fact]
    public async Task WriteAsync_RefusedAndAcceptedWritesInOneBatch_OnlyTheRefusedAreLeftOut()
    {
        var arrivals = Host.Arrivals();
        var first = TestArrivals.Family("0014", travellers: 1);
        await arrivals.AnnounceArrivalAsync(new AnnounceArrivalRequest { RequestId = Guid.NewGuid().ToString(), Arrival = first });
        var clashing = Enumerable.Range(0, 20).Select(_ =>
        {
            var details = TestArrivals.Family("0014", travellers: 1);
            details.Travellers[0].VNumber = first.Travellers[0].VNumber; // already in an open arrival
            return details;
        });
        var fine = Enumerable.Range(0, 20).Select(_ => TestArrivals.Family("0014", travellers: 1)).ToList();

        var calls = clashing.Concat(fine).Select(async d =>
        {
            try
            {
                await arrivals.AnnounceArrivalAsync(new AnnounceArrivalRequest { RequestId = Guid.NewGuid().ToString(), Arrival = d });
                return StatusCode.OK;
            }
            catch (RpcException e)
            {
                return e.StatusCode;
            }
        });
        var outcomes = await Task.WhenAll(calls);

        Assert.Equal(20, outcomes.Count(o => o == StatusCode.FailedPrecondition));
        Assert.Equal(20, outcomes.Count(o => o == StatusCode.OK));
        await using var db = Host.Db();
        var references = fine.Select(f => f.CaseReference).ToList();
        Assert.Equal(20, await db.Arrivals.CountAsync(a => references.Contains(a.CaseReference)));
        Assert.Equal(1, await db.Travellers.CountAsync(t => t.VNumber == first.Travellers[0].VNumber));
    }

    [Fact]
    public async Task WriteAsync_MoreWritesWaitingThanTheBound_RefusedUnavailableWithRetryInfoAndNothingStoredForThem()
    {
        await using var host = await GatewayHost.StartAsync(configure: o => o.MaxQueuedWrites = 2);
        // A refused call's audit record needs the writer too: with the queue full it is lost, loudly.
        host.ExpectErrors("The audit record of a failed");
        var arrivals = host.Arrivals();
        var details = Enumerable.Range(0, 200).Select(_ => TestArrivals.Family("0363", travellers: 1)).ToList();

        var outcomes = await Task.WhenAll(details.Select(async d =>
        {
            try
            {
                await arrivals.AnnounceArrivalAsync(new AnnounceArrivalRequest { RequestId = Guid.NewGuid().ToString(), Arrival = d });
                return (d.CaseReference, Error: (RpcException?)null);
            }
            catch (RpcException e)
            {
                return (d.CaseReference, Error: e);
            }
        }));

        var refused = outcomes.Where(o => o.Error is not null).ToList();
        Assert.NotEmpty(refused);
        Assert.All(refused, o =>
        {
            Assert.Equal(StatusCode.Unavailable, o.Error!.StatusCode);
            var status = o.Error.GetRpcStatus();
            Assert.Equal("WRITE_QUEUE_FULL", status?.GetDetail<Google.Rpc.ErrorInfo>()?.Reason);
            Assert.NotNull(status?.GetDetail<Google.Rpc.RetryInfo>());
        });
        await using var db = host.Db();
        var stored = await db.Arrivals.Select(a => a.CaseReference).ToListAsync();
        Assert.Equal(outcomes.Where(o => o.Error is null).Select(o => o.CaseReference).Order(), stored.Where(r => details.Any(d => d.CaseReference == r)).Order());
    }

    /// <summary>A unit that keeps losing to another writer runs again, once per pass (never twice in one
    /// transaction), six times in all, and then its caller is told. Before, the first pass both queued
    /// it again and left it to the savepoint pass of the same batch, so copies piled up in the queue and
    /// one batch ran the same unit twice in one transaction.</summary>
    [Fact]
    public async Task WriteAsync_UnitAlwaysLosingToAnotherWriter_RunsOncePerTransactionSixTimesThenWriteConflict()
    {
        await using var host = await GatewayHost.StartAsync();
        await host.AnnounceAsync(TestArrivals.Family("0363", travellers: 1)); // the feed row exists
        var store = host.Services.GetRequiredService<GatewayStore>();
        var transactions = new List<System.Data.Common.DbTransaction>();

        var error = await Assert.ThrowsAsync<RpcException>(() => store.WriteAsync(Caller.Gateway("00000001234567890000"), write =>
        {
            lock (transactions)
            {
                transactions.Add(write.Transaction);
            }
            write.Db.Feeds.Add(new FeedEntity { Id = "municipality:0363" }); // stored already: a unique violation
            return Task.FromResult(true);
        }, CancellationToken.None));

        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
        Assert.Equal(6, transactions.Count);
        Assert.Equal(transactions.Count, transactions.Distinct().Count());
    }
}
