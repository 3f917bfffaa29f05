using System.Collections.Concurrent;
using System.Diagnostics;
using ExchangeGateway.Cli.Soak;
using ExchangeGateway.Client;
using ExchangeGateway.Client.Resilience;
using ExchangeGateway.Contracts.V1;
using ExchangeGateway.EndToEnd.Fixtures;
using ExchangeGateway.Server.Identity;
using ExchangeGateway.Tests.Shared;
using Xunit.Abstractions;

namespace ExchangeGateway.EndToEnd;

/// <summary>The real gateway behind <see cref="ChaosProxy"/>s that cut connections after a random number
/// of bytes (in the TLS handshake, mid-request or mid-answer) and delay chunks. COA's clients go
/// through one that cuts 30% of connections, the municipalities' subscribers through one that cuts
/// half of them. The SDK's retries keep the request_id and its subscriber reconnects, so every
/// announcement must end OK, be stored once, and reach its municipality's stream once.</summary>
public sealed class FaultInjectionTests(ITestOutputHelper output)
{
    private const string Announced = "nl.asielketen.aankomst-aangekondigd";
    private const int Clients = 8;
    private const int AnnouncementsPerClient = 12;

    /// <summary>Each client opens a new channel (a new connection) this often, as a batch job would.</summary>
    private const int AnnouncementsPerChannel = 3;

    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private static readonly (string Organisation, string Code)[] Municipalities =
        [("gemeente-amsterdam", "0363"), ("gemeente-utrecht", "0344"), ("gemeente-groningen", "0014")];

    /// <summary>Many quick retries and a circuit that never opens: every fault is ridden over.</summary>
    private static readonly GatewayResilienceOptions Persistent = new()
    {
        MaxRetryAttempts = 50,
        BaseDelay = TimeSpan.FromMilliseconds(20),
        MaxDelay = TimeSpan.FromMilliseconds(300),
        AttemptTimeout = TimeSpan.FromSeconds(15),
        OverallTimeout = TimeSpan.FromSeconds(60),
        CircuitMinimumThroughput = int.MaxValue,
    };

    [Fact]
    public async Task AnnounceArrival_ThroughProxyCuttingThirtyPercentOfConnections_AllOkStoredOnceAndDeliveredOnce()
    {
        await using var gateway = await TestGateway.StartAsync();
        var seed = Environment.TickCount;
        await using var proxy = new ChaosProxy(gateway.Port, new ChaosProxyOptions
        {
            // A channel carries about 9 KB (TLS handshake, then three calls): cuts fall anywhere in it.
            CutShare = 0.3,
            MinBytesBeforeCut = 0,
            MaxBytesBeforeCut = 9 * 1024,
            DelayProbability = 0.1,
            MaxDelay = TimeSpan.FromMilliseconds(20),
            Seed = seed,
        });
        await using var subscriberProxy = new ChaosProxy(gateway.Port, new ChaosProxyOptions
        {
            // Three long-lived streams: without this, none of them was cut in about one run in twelve.
            CutShare = 0.5,
            CutFirstOfBlock = true,
            MinBytesBeforeCut = 2 * 1024,
            MaxBytesBeforeCut = 16 * 1024,
            DelayProbability = 0.1,
            MaxDelay = TimeSpan.FromMilliseconds(20),
            Seed = seed + 1,
        });
        output.WriteLine($"seed {seed}; gateway {gateway.Address}, proxies {proxy.Address} (COA), {subscriberProxy.Address} (municipalities)");
        var feeds = Municipalities.ToDictionary(m => m.Code, m => new FeedCollector(ThroughProxy(gateway, subscriberProxy, m.Organisation),
            FeedNames.Municipality(m.Code), null), StringComparer.Ordinal);
        try
        {
            var outcomes = new ConcurrentBag<(ArrivalDetails Details, string RequestId, Arrival? Arrival, Exception? Error)>();
            var clock = Stopwatch.StartNew();
            await Task.WhenAll(Enumerable.Range(0, Clients).Select(client => Task.Run(async () =>
            {
                GatewayClient? coa = null;
                for (var i = 0; i < AnnouncementsPerClient; i++)
                {
                    if (i % AnnouncementsPerChannel == 0)
                    {
                        coa?.Dispose();
                        coa = ThroughProxy(gateway, proxy, "coa");
                    }
                    var details = TestArrivals.Family(Municipalities[(client + i) % Municipalities.Length].Code, travellers: 1 + (i % 2));
                    var requestId = GatewayClient.NewRequestId();
                    try
                    {
                        outcomes.Add((details, requestId, await coa!.AnnounceArrivalAsync(details, requestId), null));
                    }
                    catch (Exception e)
                    {
                        outcomes.Add((details, requestId, null, e));
                    }
                }
                coa?.Dispose();
            })));
            output.WriteLine($"{outcomes.Count} announcements in {clock.Elapsed.TotalSeconds:F1} s through the proxy: {proxy}");

            // Every call ended OK, however often its connection was cut.
            var failed = outcomes.Where(o => o.Error is not null).ToList();
            Assert.True(failed.Count == 0, $"{failed.Count} announcement(s) failed: {string.Join("; ", failed.Take(5).Select(f => f.Error!.Message))}\nProxy: {proxy}");
            Assert.Equal(Clients * AnnouncementsPerClient, outcomes.Count);
            Assert.True(proxy.CutConnections > 0, $"The proxy cut no connection: {proxy}");

            // Each is stored once (asked directly, not through the proxy), under the id its answer named.
            using var direct = gateway.ClientFor("coa");
            foreach (var (details, requestId, arrival, _) in outcomes)
            {
                var stored = await direct.ListArrivalsAsync(new ListArrivalsRequest { CaseReference = details.CaseReference });
                Assert.True(stored.Arrivals.Count == 1, $"{details.CaseReference} (request_id {requestId}) is stored {stored.Arrivals.Count} times");
                Assert.Equal(arrival!.ArrivalId, stored.Arrivals[0].ArrivalId);
            }

            // Each reaches its municipality's stream (read through the proxy too), under one notice id.
            var until = Stopwatch.StartNew();
            bool AllDelivered() => outcomes.All(o => feeds[o.Details.MunicipalityCode].IdsFor(Announced, o.Arrival!.ArrivalId).Count > 0);
            while (!AllDelivered() && until.Elapsed < Timeout)
            {
                await Task.Delay(50);
            }
            foreach (var (details, requestId, arrival, _) in outcomes)
            {
                var feed = feeds[details.MunicipalityCode];
                Assert.True(feed.IdsFor(Announced, arrival!.ArrivalId).Count == 1,
                    $"{details.CaseReference} (request_id {requestId}) reached {feed.Feed} under {feed.IdsFor(Announced, arrival.ArrivalId).Count} notice ids; subscriber: {feed.Subscriber.Connections} connections; proxy: {proxy}");
            }
            foreach (var feed in feeds.Values)
            {
                Assert.Null(feed.Failure);
                output.WriteLine($"{feed.Feed}: {feed.HandedOut} notices, {feed.Subscriber.Connections} connections, {feed.Subscriber.DuplicatesFiltered} duplicates filtered, {feed.Redelivered} with redelivery_count > 0");
            }
            output.WriteLine($"COA proxy: {proxy}; subscriber proxy: {subscriberProxy}");
            Assert.True(subscriberProxy.CutConnections > 0, $"The subscribers' proxy cut no connection: {subscriberProxy}");
        }
        finally
        {
            foreach (var feed in feeds.Values)
            {
                await feed.DisposeAsync();
            }
        }
    }

    private static GatewayClient ThroughProxy(GatewayProcess gateway, ChaosProxy proxy, string organisationId) =>
        new(ChaosPki.Connection(gateway.CertificatesDirectory, proxy.Address, organisationId), Persistent);
}
