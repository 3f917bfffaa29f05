using System.Collections.Concurrent;
using ExchangeGateway.Contracts.V1;
using ExchangeGateway.EndToEnd.Fixtures;
using ExchangeGateway.Tests.Shared;
using Xunit.Abstractions;

namespace ExchangeGateway.EndToEnd;

/// <summary>Two gateway processes on one PostgreSQL database, writers on both and subscribers on
/// either: every announcement reaches its municipality once, with gap-free sequences.</summary>
public sealed class MultiInstancePostgresTests(PostgresServer postgres, ITestOutputHelper output) : IClassFixture<PostgresServer>
{
    private static readonly string[] Municipalities = ["0363", "0344", "0014"];

    [Fact]
    public async Task Announce_TwoProcessesOnePostgresDatabase_EveryNoticeOnceWithoutGaps()
    {
        await postgres.CreateDatabaseAsync("exgw_multi");
        var database = postgres.ConnectionString("exgw_multi");
        await using var first = await GatewayProcess.StartAsync(postgres: database);
        await using var second = await GatewayProcess.StartAsync(postgres: database);
        // Subscribers on either instance; writers on both.
        var subscribers = new Dictionary<string, FeedProbe>
        {
            ["0363"] = new(first.ClientFor("gemeente-amsterdam"), acknowledgeEverything: true),
            ["0344"] = new(second.ClientFor("gemeente-utrecht"), acknowledgeEverything: true),
            ["0014"] = new(first.ClientFor("gemeente-groningen"), acknowledgeEverything: true),
        };
        try
        {
            foreach (var probe in subscribers.Values)
            {
                await probe.OpenedAsync();
            }
            var announced = new ConcurrentBag<(string ArrivalId, string Municipality)>();
            var writers = new[] { first, second }.SelectMany(gateway => Enumerable.Range(0, 6).Select(async writer =>
            {
                using var coa = gateway.ClientFor("coa");
                for (var i = 0; i < 20; i++)
                {
                    var municipality = Municipalities[(writer + i) % Municipalities.Length];
                    var arrival = await coa.AnnounceArrivalAsync(TestArrivals.Family(municipality, travellers: 1));
                    announced.Add((arrival.ArrivalId, municipality));
                }
            }));
            await Task.WhenAll(writers);
            Assert.Equal(240, announced.Count);

            foreach (var (municipality, probe) in subscribers)
            {
                var expected = announced.Where(a => a.Municipality == municipality).Select(a => a.ArrivalId).ToHashSet();
                using (var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60)))
                {
                    while (!expected.IsSubsetOf(probe.Seen.Select(n => n.Subject)))
                    {
                        Assert.False(deadline.IsCancellationRequested, $"Not every announcement reached {municipality}: {FeedProbe.Describe(probe.Seen)}");
                        await Task.Delay(20, CancellationToken.None);
                    }
                }
                var seen = probe.Seen.Where(n => n.PayloadCase == Notice.PayloadOneofCase.ArrivalAnnounced).ToList();
                Assert.Equal(expected.Count, seen.Select(n => n.NoticeId).Distinct().Count());
                Assert.All(seen.GroupBy(n => n.Subject), g => Assert.Single(g.Select(n => n.NoticeId).Distinct()));
                var sequences = seen.Select(n => (long)n.Sequence).Distinct().Order().ToList();
                Assert.Equal(Enumerable.Range(1, sequences.Count).Select(i => (long)i), sequences);
                output.WriteLine($"{municipality}: {expected.Count} announcements, {seen.Count(n => n.RedeliveryCount > 0)} redelivered, {probe.Subscriber.DuplicatesFiltered} duplicates filtered");
            }
        }
        finally
        {
            foreach (var probe in subscribers.Values)
            {
                await probe.DisposeAsync();
            }
        }
    }
}
