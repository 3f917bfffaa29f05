using System.Collections.Concurrent;
using Grpc.Core;
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
        await using var instances = await StartTwoAsync("exgw_multi");
        var (first, second) = (instances.First, instances.Second);
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
        // No redelivery within the test: whatever a second stream gets, it gets because the notice was
        // outstanding on two streams at once.
        await using var instances = await StartTwoAsync("exgw_multi_streams", ["--Gateway:RedeliveryTimeout=00:10:00"]);
        var (first, second) = (instances.First, instances.Second);
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

    [Fact]
    public async Task Amend_SameArrivalOnBothInstancesAtOnce_EveryAmendmentIsStored()
    {
        // Two instances change one arrival at the same moment: one transaction's update finds the version
        // it read gone. That is another writer, not a fault: the change is made again on what is there.
        await using var instances = await StartTwoAsync("exgw_multi_amend");
        var (first, second) = (instances.First, instances.Second);
        using var onFirst = first.ClientFor("coa");
        using var onSecond = second.ClientFor("coa");
        var details = TestArrivals.Family("0363", travellers: 1);
        var arrival = await onFirst.AnnounceArrivalAsync(details);

        const int each = 15;
        var amendments = new[] { onFirst, onSecond }.SelectMany(coa => Enumerable.Range(0, each).Select(i =>
        {
            var changed = details.Clone();
            changed.DestinationAddress.HouseNumber = 100 + i;
            return coa.AmendArrivalAsync(arrival.ArrivalId, changed);
        })).ToList();
        var failures = new List<string>();
        foreach (var amendment in amendments)
        {
            try
            {
                await amendment;
            }
            catch (Grpc.Core.RpcException e)
            {
                failures.Add($"{e.StatusCode}: {e.Status.Detail}");
            }
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures) + "\n" + first.RecentOutput + "\n" + second.RecentOutput);
        Assert.Equal(arrival.Version + (2 * each), (await onFirst.GetArrivalAsync(arrival.ArrivalId)).Version);
    }

    [Fact]
    public async Task Announce_SameVNumberOnBothInstancesAtOnce_OnlyOneOpenArrivalHoldsIt()
    {
        // One person announced to two municipalities at once, through two instances: each instance's
        // check sees no open arrival with that V-number, so both used to be stored. The database must
        // refuse the second: one OK, the other TRAVELLER_IN_OPEN_ARRIVAL.
        await using var instances = await StartTwoAsync("exgw_multi_vnumber");
        var (first, second) = (instances.First, instances.Second);
        using var onFirst = first.ClientFor("coa");
        using var onSecond = second.ClientFor("coa");
        var outcomes = new List<string>();
        for (var round = 0; round < 20; round++)
        {
            var toAmsterdam = TestArrivals.Family("0363", travellers: 1);
            var toUtrecht = TestArrivals.Family("0344", travellers: 1);
            toUtrecht.Travellers[0].VNumber = toAmsterdam.Travellers[0].VNumber;
            var calls = new[] { Outcome(onFirst.AnnounceArrivalAsync(toAmsterdam)), Outcome(onSecond.AnnounceArrivalAsync(toUtrecht)) };
            var results = await Task.WhenAll(calls);
            outcomes.Add(string.Join(" + ", results.Order(StringComparer.Ordinal)));
        }

        Assert.All(outcomes, o => Assert.Equal("FailedPrecondition TRAVELLER_IN_OPEN_ARRIVAL + OK", o));
    }

    [Fact]
    public async Task ReportBsnAssigned_SameBsnForTwoPeopleOnBothInstancesAtOnce_OnlyOneGetsIt()
    {
        // A BSN is never reused: reported for two different people at the same moment through two
        // instances, each instance's check found no holder, so both used to be stored.
        await using var instances = await StartTwoAsync("exgw_multi_bsn");
        var (first, second) = (instances.First, instances.Second);
        using var coa = first.ClientFor("coa");
        using var onFirst = first.ClientFor("gemeente-amsterdam");
        using var onSecond = second.ClientFor("gemeente-amsterdam");
        var outcomes = new List<string>();
        for (var round = 0; round < 10; round++)
        {
            var a = await RegisteredAsync(coa, onFirst);
            var b = await RegisteredAsync(coa, onSecond);
            var bsn = TestArrivals.NewBsn();
            var results = await Task.WhenAll(
                Outcome(onFirst.ReportBsnAssignedAsync(a.ArrivalId, [new BsnAssignment { VNumber = a.Details.Travellers[0].VNumber, Bsn = bsn }])),
                Outcome(onSecond.ReportBsnAssignedAsync(b.ArrivalId, [new BsnAssignment { VNumber = b.Details.Travellers[0].VNumber, Bsn = bsn }])));
            outcomes.Add(string.Join(" + ", results.Order(StringComparer.Ordinal)));
        }

        Assert.All(outcomes, o => Assert.Equal("FailedPrecondition BSN_IN_USE + OK", o));
    }

    /// <summary>Two gateway processes on a new database <paramref name="name"/> of the shared server.</summary>
    private async Task<TwoInstances> StartTwoAsync(string name, IReadOnlyList<string>? arguments = null)
    {
        await postgres.CreateDatabaseAsync(name);
        var database = postgres.ConnectionString(name);
        var first = await TestGateway.StartAsync(postgres: database, arguments: arguments);
        try
        {
            return new TwoInstances(first, await TestGateway.StartAsync(postgres: database, arguments: arguments));
        }
        catch
        {
            await first.DisposeAsync();
            throw;
        }
    }

    private sealed record TwoInstances(GatewayProcess First, GatewayProcess Second) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await Second.DisposeAsync();
            await First.DisposeAsync();
        }
    }

    private static async Task<Arrival> RegisteredAsync(Client.GatewayClient coa, Client.GatewayClient municipality)
    {
        var arrival = await coa.AnnounceArrivalAsync(TestArrivals.Family("0363", travellers: 1));
        var arrivedAt = DateTimeOffset.UtcNow.AddMinutes(-10);
        await coa.ReportDepartureAsync(arrival.ArrivalId, arrivedAt.AddHours(-2));
        await coa.ReportTravellersArrivedAsync(arrival.ArrivalId, arrivedAt);
        var day = Server.Rules.AmsterdamCalendar.DateOf(arrivedAt);
        return await municipality.ReportRegistrationAsync(arrival.ArrivalId, [new TravellerRegistration
        {
            VNumber = arrival.Details.Travellers[0].VNumber,
            Status = RegistrationStatus.Registered,
            RegisteredOn = TestArrivals.ToDate(day),
        }]);
    }

    private static async Task<string> Outcome(Task<Arrival> call)
    {
        try
        {
            await call;
            return "OK";
        }
        catch (RpcException e)
        {
            var violations = e.GetRpcStatus()?.GetDetail<Google.Rpc.PreconditionFailure>()?.Violations;
            return $"{e.StatusCode} {string.Join(",", violations?.Select(v => v.Type) ?? [])}";
        }
    }

    [Fact]
    public async Task Subscribe_UnreliableSubscriberOnEachInstanceAndOneKilled_GuaranteeHoldsAndEveryNoticeIsAcknowledged()
    {
        // The feed engine's model test checks these properties after every step in memory; this runs a
        // random schedule of the same kind over two processes and PostgreSQL: streams that lose
        // acknowledgements, redelivery, and an instance killed and restarted halfway.
        var seed = int.TryParse(Environment.GetEnvironmentVariable("EXGW_E2E_SEED"), out var s) ? s : Random.Shared.Next();
        output.WriteLine($"seed {seed} (EXGW_E2E_SEED={seed} repeats the schedule)");
        var random = new Random(seed);
        var redelivery = TimeSpan.FromSeconds(3); // the checks allow FeedHistory.Slack of it
        await using var instances = await StartTwoAsync("exgw_multi_schedule", [$"--Gateway:RedeliveryTimeout={redelivery:c}"]);
        var (first, second) = (instances.First, instances.Second);
        var history = new FeedHistory(redelivery);
        var subscribers = new List<UnreliableSubscriber>();
        UnreliableSubscriber Subscribe(int stream, GatewayProcess gateway)
        {
            subscribers.Add(new(stream, gateway, "gemeente-amsterdam", "0363", window: (uint)random.Next(1, 6), loses: 0.2, seed: random.Next(), history));
            return subscribers[^1];
        }
        var onFirst = Subscribe(0, first);
        await using var onSecond = Subscribe(1, second);

        using var coa = second.ClientFor("coa");
        var expected = new Dictionary<string, int>(); // arrival -> notices to the municipality
        var arrivals = new List<(string Id, ArrivalDetails Details)>();
        for (var step = 0; step < 48; step++)
        {
            if (step == 24)
            {
                history.Closed(0);
                await first.RestartAsync(); // SIGKILL, then the same database again
                await onFirst.DisposeAsync();
                onFirst = Subscribe(2, first);
            }
            if (arrivals.Count < 3 || random.Next(3) == 0)
            {
                var details = TestArrivals.Family("0363", travellers: 1);
                arrivals.Add(((await coa.AnnounceArrivalAsync(details)).ArrivalId, details));
                expected[arrivals[^1].Id] = 1;
            }
            else
            {
                var (id, details) = arrivals[random.Next(arrivals.Count)];
                details.DestinationAddress.HouseNumber += 1;
                try
                {
                    await coa.AmendArrivalAsync(id, details);
                }
                catch (Grpc.Core.RpcException) when (Dump(second))
                {
                }
                expected[id]++;
            }
            await Task.Delay(random.Next(0, 100));
        }

        using (var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(90)))
        {
            while (!expected.All(e => history.ConfirmedBySubject().GetValueOrDefault(e.Key) == e.Value))
            {
                Assert.False(deadline.IsCancellationRequested, "Not every notice was acknowledged within 90 s:\n" + string.Join("\n",
                    expected.Select(e => $"{e.Key}: {history.ConfirmedBySubject().GetValueOrDefault(e.Key)} of {e.Value}"))
                    + "\n" + history.Describe([.. Enumerable.Range(1, 400).Select(i => (ulong)i)])
                    + $"\nfirst instance:\n{first.RecentOutput}\nsecond instance:\n{second.RecentOutput}");
                await Task.Delay(50, CancellationToken.None);
            }
        }
        await onFirst.DisposeAsync();
        var (received, redelivered) = history.Counts();
        var lost = subscribers.Sum(s => s.Lost);
        output.WriteLine($"{expected.Values.Sum()} notices about {expected.Count} arrivals: {received} deliveries, {redelivered} of them redeliveries, {lost} acknowledgements lost");
        // Every notice was acknowledged, so a lost acknowledgement must have been redelivered. (A schedule
        // whose streams lost none is rare, seen once in CI, but the draws allow it.)
        Assert.True(lost == 0 || redelivered > 0, $"{lost} acknowledgements were lost, yet nothing was redelivered.");
        var violations = history.Violations();
        Assert.True(violations.Count == 0, string.Join("\n", violations) + "\n" + history.Describe([.. history.SequencesIn(violations)])
            + $"\nfirst instance:\n{first.RecentOutput}\nsecond instance:\n{second.RecentOutput}");
    }

    private bool Dump(GatewayProcess gateway)
    {
        output.WriteLine(gateway.RecentOutput);
        return false;
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
