using System.Diagnostics;
using ExchangeGateway.Cli.Serve;
using ExchangeGateway.Contracts.V1;

namespace ExchangeGateway.Cli.Bench;

internal sealed record BurstResult(int Announcements, int Sent, int AnsweredOk, int Concurrency, double AnnouncedSeconds, double AllReceivedSeconds,
    double AllAcknowledgedSeconds, int Received, int Confirmed, long Errors, string? FirstError, LatencySummary EndToEnd)
{
    /// <summary>Server CPU milliseconds per arrival announced, delivered and acknowledged.</summary>
    public double ServerCpuMsPerArrival { get; init; } = double.NaN;
}

/// <summary>Scenario 4: a list of arrivals announced as fast as possible to every municipality;
/// time until every notice they caused is acknowledged (durably): the municipalities', the IND's and
/// COA's (aankondiging-ontvangen, caused by the municipalities' acknowledgements).</summary>
internal static class BurstScenario
{
    public static async Task RunAsync(BenchContext bench, GatewayProcess server, BenchConnections connections, FeedListeners listeners, CancellationToken cancellationToken)
    {
        var profile = bench.Profile;
        var announcer = new Announcer(new ArrivalService.ArrivalServiceClient(connections.For(BenchPki.Coa).Channel), bench.Arrivals);
        var tracker = new NoticeTracker(everyFeed: true);
        listeners.Tracker = tracker;
        var cpuBefore = server.CpuTime();
        var start = Stopwatch.GetTimestamp();
        var run = await announcer.BurstAsync(profile.BurstCount, profile.BurstConcurrency, profile.PhaseLimit, "BENCH-BURST", tracker, cancellationToken);
        var confirmed = await EndToEndScenario.WaitAsync(tracker.AllConfirmed, profile.PhaseLimit, cancellationToken);
        var elapsed = Stopwatch.GetElapsedTime(start).TotalSeconds;
        listeners.Tracker = null;
        var cpuPerArrival = (server.CpuTime() - cpuBefore).TotalMilliseconds / Math.Max(1, tracker.Confirmed);

        var complete = confirmed && run.Succeeded == profile.BurstCount;
        var received = tracker.Received >= profile.BurstCount ? Stopwatch.GetElapsedTime(start, tracker.LastReceivedAt).TotalSeconds : double.NaN;
        var acknowledged = complete ? Stopwatch.GetElapsedTime(start, tracker.LastConfirmedAt).TotalSeconds : double.NaN;
        var rate = complete ? profile.BurstCount / acknowledged : tracker.Confirmed / elapsed;
        var result = new BurstResult(profile.BurstCount, run.Count, run.Succeeded, profile.BurstConcurrency, run.Announced.TotalSeconds, received, acknowledged,
            tracker.Received, tracker.Confirmed, run.Errors, run.FirstError, tracker.EndToEnd.Summary()) { ServerCpuMsPerArrival = cpuPerArrival };
        bench.Results.Scenarios["burst"] = result;
        bench.Say($"burst of {profile.BurstCount:N0} @{profile.BurstConcurrency}: announced in {run.Announced.TotalSeconds:0.00} s, all received {received:0.00} s, all acknowledged {acknowledged:0.00} s, errors {run.Errors}");

        const string scenario = "4 burst";
        var ping = bench.Baseline.GetValueOrDefault(profile.BurstConcurrency);
        var stopped = complete ? "" : $" (stopped at the {profile.PhaseLimit.TotalSeconds:N0} s limit)";
        bench.Results.Add(new Figure(scenario, $"{run.Succeeded:N0} of {profile.BurstCount:N0} announced OK @{profile.BurstConcurrency}{stopped}", run.Announced.TotalSeconds, "s"));
        bench.Results.Add(new Figure(scenario, "all notices received", received, "s"));
        bench.Results.Add(new Figure(scenario, $"all notices on every feed acknowledged ({tracker.Confirmed:N0} of {profile.BurstCount:N0} arrivals)", acknowledged, "s",
            Target: "<= 5 s", Pass: complete && acknowledged <= 5));
        bench.Results.Add(new Figure(scenario, "server CPU per arrival (announce, deliver, acknowledge)", cpuPerArrival, "ms"));
        bench.Results.Add(new Figure(scenario, "arrivals announced, received and acknowledged per second", rate, "/s",
            ping is null ? null : ThroughputScenario.Ratio(rate, ping.OperationsPerSecond), $"Ping @{profile.BurstConcurrency} calls/s"));
    }
}
