using System.Diagnostics;
using ExchangeGateway.Contracts.V1;

namespace ExchangeGateway.Cli.Bench;

internal sealed record StreamsResult(int Streams, int Feeds, int Channels, double OpenSeconds, long ResidentBytesBefore, long ResidentBytesAfter,
    double BytesPerSubscriber, EndToEndResult EndToEnd);

/// <summary>Scenario 6: many idle subscribers at once (about 30 streams on each of the 342 feeds,
/// one channel per municipal organisation; the SDK opens more HTTP/2 connections past Kestrel's 100
/// streams per connection). Server RSS before and after, and end-to-end latency while they are open.</summary>
internal static class StreamsScenario
{
    private const int OpenInParallel = 250;

    public static async Task RunAsync(BenchContext bench, CancellationToken cancellationToken)
    {
        var profile = bench.Profile;
        var municipalities = bench.Municipalities;
        var (gateway, connections, _) = await bench.StartGatewayAsync(bench.Database, cancellationToken);
        await using var running = gateway;
        using var channels = connections;

        await bench.WarmUpAsync(connections, "", cancellationToken);

        // Every organisation's connection first, so "after" minus "before" is the streams alone.
        await Parallel.ForEachAsync(municipalities, new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = cancellationToken },
            async (m, token) => await new GatewayService.GatewayServiceClient(connections.For(m.OrganisationId).Channel)
                .PingAsync(new PingRequest(), deadline: DateTime.UtcNow.AddSeconds(30), cancellationToken: token));
        await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
        var before = gateway.ResidentBytes();

        var listeners = new FeedListeners(connections);
        try
        {
            var start = Stopwatch.GetTimestamp();
            var pending = new List<Task>();
            for (var i = 0; i < profile.StreamCount && Stopwatch.GetElapsedTime(start) < 2 * profile.PhaseLimit; i++)
            {
                pending.Add(listeners.OpenAsync(municipalities[i % municipalities.Count]));
                if (pending.Count >= OpenInParallel)
                {
                    await Task.WhenAll(pending).WaitAsync(TimeSpan.FromMinutes(2), cancellationToken);
                    pending.Clear();
                }
            }
            await Task.WhenAll(pending).WaitAsync(TimeSpan.FromMinutes(2), cancellationToken);
            var openSeconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
            await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken);
            var after = gateway.ResidentBytes();
            var streams = listeners.Streams;
            bench.Say($"{streams:N0} streams open in {openSeconds:0.0} s; server RSS {before / 1048576.0:N0} MiB -> {after / 1048576.0:N0} MiB");

            // COA and the IND read too, so every notice the announcements cause is delivered.
            await Task.WhenAll(listeners.OpenCaughtUpAsync(BenchPki.Coa), listeners.OpenCaughtUpAsync(BenchPki.Ind)).WaitAsync(profile.PhaseLimit, cancellationToken);
            var announcer = new Announcer(new ArrivalService.ArrivalServiceClient(connections.For(BenchPki.Coa).Channel), bench.Arrivals);
            var tracker = new NoticeTracker(everyFeed: true);
            listeners.Tracker = tracker;
            var run = await announcer.AtRateAsync(profile.StreamsEndToEndCount, profile.StreamsEndToEndRate, EndToEndScenario.MaxInFlight, profile.PhaseLimit, "BENCH-STREAMS", tracker, cancellationToken);
            await EndToEndScenario.WaitAsync(tracker.AllConfirmed, profile.PhaseLimit, cancellationToken);
            var afterLoad = gateway.ResidentBytes();
            var e2e = tracker.EndToEnd.Summary();
            var endToEnd = new EndToEndResult(run.Count, run.Succeeded, run.TargetRate, run.OfferedRate, run.CompletedRate, e2e, run.AnnounceLatency,
                tracker.Received, tracker.Confirmed, run.Errors, run.FirstError, streams);
            var perSubscriber = (after - before) / (double)streams;
            bench.Results.Scenarios["streams"] = new StreamsResult(streams, Math.Min(streams, municipalities.Count), municipalities.Count,
                openSeconds, before, after, perSubscriber, endToEnd);
            bench.Say($"e2e with {streams:N0} streams at {run.TargetRate:N0}/s: p50 {e2e.P50Ms:0.00} ms, p99 {e2e.P99Ms:0.00} ms, received {tracker.Received}/{run.Succeeded}; RSS after load {afterLoad / 1048576.0:N0} MiB");

            const string scenario = "6 streams";
            var ping = bench.BaselineAt(1);
            var opened = streams == profile.StreamCount ? "" : $" (stopped at the limit: {streams:N0} of {profile.StreamCount:N0})";
            bench.Results.Add(new Figure(scenario, $"{streams:N0} idle subscribers on {Math.Min(streams, municipalities.Count)} feeds: time to open all{opened}", openSeconds, "s"));
            bench.Results.Add(new Figure(scenario, "server RSS per subscriber", perSubscriber / 1024, "KiB"));
            bench.Results.Add(new Figure(scenario, $"server RSS total with {streams:N0} subscribers (before: {before / 1048576.0:N0} MiB)", after / 1048576.0, "MiB",
                Target: "<= 1024 MiB", Pass: after <= 1024L * 1024 * 1024 && streams == profile.StreamCount));
            bench.Results.Add(new Figure(scenario, $"announce → notice p50 ({run.Count} at {run.TargetRate:N0}/s)", e2e.P50Ms, "ms", ThroughputScenario.Ratio(e2e.P50Ms, ping.P50Ms), "Ping @1 p50"));
            bench.Results.Add(new Figure(scenario, $"announce → notice p99 (over {e2e.Count:N0} samples)", e2e.P99Ms, "ms", ThroughputScenario.Ratio(e2e.P99Ms, ping.P99Ms), "Ping @1 p99",
                "<= 20 ms over >= 2,000", e2e.P99Ms <= 20 && e2e.Count >= 2000 && tracker.Received >= run.Succeeded && run.Succeeded == profile.StreamsEndToEndCount));
        }
        finally
        {
            await listeners.DisposeAsync();
        }
        gateway.Kill();
    }
}
