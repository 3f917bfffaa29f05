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

    [Fact]
    public async Task Subscribe_OneStreamOnEachInstance_NoticeOutstandingOnOneAndTheNextAboutItsArrivalWaitsForItsAcknowledgement()
    {
        await postgres.CreateDatabaseAsync("exgw_multi_streams");
        var database = postgres.ConnectionString("exgw_multi_streams");
        // No redelivery within the test: whatever a second stream gets, it gets because the notice was
        // outstanding on two streams at once.
        string[] arguments = ["--Gateway:RedeliveryTimeout=00:10:00"];
        await using var first = await GatewayProcess.StartAsync(postgres: database, arguments: arguments);
        await using var second = await GatewayProcess.StartAsync(postgres: database, arguments: arguments);
        await using var onFirst = new FeedProbe(first.ClientFor("gemeente-amsterdam"));
        await using var onSecond = new FeedProbe(second.ClientFor("gemeente-amsterdam"));
        await onFirst.OpenedAsync();
        await onSecond.OpenedAsync();
        using var coa = first.ClientFor("coa");
        var details = TestArrivals.Family("0363", travellers: 1);
        var arrival = await coa.AnnounceArrivalAsync(details);
        details.DestinationAddress.HouseNumber += 1;
        await coa.AmendArrivalAsync(arrival.ArrivalId, details);

        var holder = await FirstToSeeAsync(ArrivalAnnouncedType, arrival.ArrivalId, onFirst, onSecond);
        var other = holder == onFirst ? onSecond : onFirst;
        var announced = await holder.WaitForAsync(ArrivalAnnouncedType, arrival.ArrivalId);
        // Give the other instance every chance to send it too, or to send the amendment early.
        await Task.Delay(TimeSpan.FromSeconds(3));
        Assert.DoesNotContain(other.Seen, n => n.Subject == arrival.ArrivalId);
        Assert.Single(holder.Seen, n => n.Subject == arrival.ArrivalId);

        await announced.AcknowledgeAsync();
        var next = await FirstToSeeAsync(ArrivalAmendedType, arrival.ArrivalId, onFirst, onSecond);
        await (await next.WaitForAsync(ArrivalAmendedType, arrival.ArrivalId)).AcknowledgeAsync();
        output.WriteLine($"announcement on {(holder == onFirst ? "first" : "second")} instance, amendment after its acknowledgement");
    }

    /// <summary>The probe that sees a notice of <paramref name="type"/> about <paramref name="subject"/> first.</summary>
    private static async Task<FeedProbe> FirstToSeeAsync(string type, string subject, params FeedProbe[] probes)
    {
        using var deadline = new CancellationTokenSource(FeedProbe.DefaultTimeout);
        while (true)
        {
            if (probes.FirstOrDefault(p => p.Seen.Any(n => n.Type == type && n.Subject == subject)) is { } probe)
            {
                return probe;
            }
            Assert.False(deadline.IsCancellationRequested, $"No stream got {type} about {subject}.");
            await Task.Delay(20, CancellationToken.None);
        }
    }

    private const string ArrivalAnnouncedType = "nl.asielketen.aankomst-aangekondigd";
    private const string ArrivalAmendedType = "nl.asielketen.aankomst-gewijzigd";
}
