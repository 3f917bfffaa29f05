using ExchangeGateway.Cli.Serve;
using ExchangeGateway.Contracts.V1;

namespace ExchangeGateway.Cli.Bench;

internal sealed record EndToEndResult(int Announcements, int AnsweredOk, double TargetRate, double OfferedRate, double CompletedRate,
    LatencySummary EndToEnd, LatencySummary Announce, int Received, int Confirmed, long Errors, string? FirstError, int Subscribers)
{
    /// <summary>Server CPU milliseconds per arrival announced, delivered and acknowledged.</summary>
    public double ServerCpuMsPerArrival { get; init; } = double.NaN;
}

/// <summary>Scenario 3: announce at a fixed rate spread over every municipality, each subscribed
/// with one stream that acknowledges what it gets, and COA and the IND too; time from just before the
/// announce call to receipt of the ArrivalAnnounced notice. It ends when every notice the
/// announcements caused, on every feed, is acknowledged.</summary>
internal static class EndToEndScenario
{
    /// <summary>Announcements awaiting an answer at once; past this the generator falls behind its
    /// rate (and reports the rate it achieved) rather than pile up calls without bound.</summary>
    public const int MaxInFlight = 256;

    public static async Task RunAsync(BenchContext bench, GatewayProcess server, BenchConnections connections, FeedListeners listeners, CancellationToken cancellationToken)
    {
        var profile = bench.Profile;
        var announcer = new Announcer(new ArrivalService.ArrivalServiceClient(connections.For(BenchPki.Coa).Channel), bench.Arrivals);
        var tracker = new NoticeTracker(everyFeed: true);
        listeners.Tracker = tracker;
        var cpuBefore = server.CpuTime();
        var run = await announcer.AtRateAsync(profile.EndToEndCount, profile.EndToEndRate, MaxInFlight, profile.PhaseLimit, "BENCH-E2E", tracker, cancellationToken);
        await WaitAsync(tracker.AllConfirmed, profile.PhaseLimit, cancellationToken);
        listeners.Tracker = null;
        var cpuPerArrival = (server.CpuTime() - cpuBefore).TotalMilliseconds / Math.Max(1, tracker.Confirmed);

        var e2e = tracker.EndToEnd.Summary();
        var result = new EndToEndResult(run.Count, run.Succeeded, run.TargetRate, run.OfferedRate, run.CompletedRate, e2e, run.AnnounceLatency,
            tracker.Received, tracker.Confirmed, run.Errors, run.FirstError, listeners.Streams) { ServerCpuMsPerArrival = cpuPerArrival };
        bench.Results.Scenarios["endToEnd"] = result;
        bench.Say($"e2e at {run.TargetRate:N0}/s: offered {run.OfferedRate:N0}/s, completed {run.CompletedRate:N0}/s, p50 {e2e.P50Ms:0.00} ms, p99 {e2e.P99Ms:0.00} ms, received {tracker.Received}/{run.Succeeded}, errors {run.Errors}");

        var ping = bench.BaselineAt(1);
        const string scenario = "3 end to end";
        bench.Results.Add(new Figure(scenario, $"announcements answered OK/s (asked {run.TargetRate:N0}/s; {run.Succeeded:N0} of {run.Count:N0} sent OK, {tracker.Received:N0} received)",
            run.CompletedRate, "/s", Target: $">= {0.95 * run.TargetRate:N0}/s (rate kept)", Pass: run.CompletedRate >= 0.95 * run.TargetRate && run.Errors == 0 && run.Count == profile.EndToEndCount));
        bench.Results.Add(new Figure(scenario, "announce → notice p50", e2e.P50Ms, "ms", ThroughputScenario.Ratio(e2e.P50Ms, ping.P50Ms), "Ping @1 p50"));
        bench.Results.Add(new Figure(scenario, "announce → notice p99", e2e.P99Ms, "ms", ThroughputScenario.Ratio(e2e.P99Ms, ping.P99Ms), "Ping @1 p99",
            "<= 25 ms", e2e.P99Ms <= 25 && tracker.Received >= run.Succeeded && run.CompletedRate >= 0.95 * run.TargetRate));
        bench.Results.Add(new Figure(scenario, "server CPU per arrival (announce, deliver, acknowledge)", cpuPerArrival, "ms"));
        bench.Results.Add(new Figure(scenario, "announce call p99 (answered OK)", run.AnnounceLatency.P99Ms, "ms", ThroughputScenario.Ratio(run.AnnounceLatency.P99Ms, ping.P99Ms), "Ping @1 p99"));
    }

    /// <summary>Waits for <paramref name="task"/> at most <paramref name="timeout"/>; returns whether it completed.</summary>
    public static async Task<bool> WaitAsync(Task task, TimeSpan timeout, CancellationToken cancellationToken)
    {
        try
        {
            await task.WaitAsync(timeout, cancellationToken);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }
}
