using System.Diagnostics;
using ExchangeGateway.Cli.Serve;

namespace ExchangeGateway.Cli.Bench;

/// <summary>Runs every scenario against the real gateway in a child process and reports.</summary>
internal sealed class BenchRunner(BenchProfile profile, ServerOptions server, string outputPath, bool keep, TextWriter output)
{
    /// <summary>The scenarios by name, for <c>--scenario</c>.</summary>
    public static readonly string[] ScenarioNames = ["throughput", "e2e", "burst", "catchup", "streams", "footprint"];

    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var work = Directory.CreateTempSubdirectory("exgw-bench-").FullName;
        var results = new BenchResults { Mode = profile.Mode, Machine = MachineInfo.Current() };
        var bench = new BenchContext(profile, server, BenchPki.Generate(Path.Combine(work, "pki")), work, results, output);
        bench.Say($"exgw bench ({profile.Mode}) on {results.Machine.Describe()}; work folder {work}");
        bench.Say($"PKI: coa, ind, ketenregie and {bench.Pki.Municipalities.Count} municipal organisations");
        var loadAtStart = MachineInfo.LoadAverage();
        try
        {
            await RunScenariosAsync(bench, cancellationToken);
        }
        finally
        {
            results.TotalSeconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
            results.Notes.Add($"Server and load generator share the machine's {results.Machine.ProcessorCount} cores. Load average (1, 5, 15 min) at start {loadAtStart}, at end {MachineInfo.LoadAverage()}: above the core count, other work competed for the CPU and the figures are noisy.");
            if (profile.Mode == "quick")
            {
                results.Notes.Add("Quick mode: small counts and short steps for a smoke test; targets are only meaningful in full mode.");
            }
            await results.WriteAsync(outputPath, CancellationToken.None);
            BenchTable.Print(results, output);
            output.WriteLine();
            output.WriteLine($"Results written to {Path.GetFullPath(outputPath)}");
            if (!keep)
            {
                TryDelete(work);
            }
        }
        return 0;
    }

    private static async Task RunScenariosAsync(BenchContext bench, CancellationToken cancellationToken)
    {
        var profile = bench.Profile;
        if (profile.Runs("throughput") || profile.Runs("e2e") || profile.Runs("burst") || profile.Runs("footprint"))
        {
            var (gateway, connections, startUp) = await bench.StartGatewayAsync(bench.Database, cancellationToken);
            try
            {
                if (profile.Runs("footprint"))
                {
                    await FootprintScenario.RecordFreshAsync(bench, gateway, startUp, cancellationToken);
                }
                if (profile.Runs("throughput") || profile.Runs("footprint"))
                {
                    var announced = await ThroughputScenario.RunAsync(bench, gateway, connections, cancellationToken);
                    FootprintScenario.RecordDatabase(bench, announced);
                }
                if (profile.Runs("e2e") || profile.Runs("burst"))
                {
                    await FeedScenariosAsync(bench, gateway, connections, cancellationToken);
                }
            }
            finally
            {
                connections.Dispose();
                await gateway.DisposeAsync();
            }
        }
        if (profile.Runs("catchup"))
        {
            await CatchUpScenario.RunAsync(bench, cancellationToken);
        }
        if (profile.Runs("streams"))
        {
            await StreamsScenario.RunAsync(bench, cancellationToken);
        }
        if (profile.Runs("footprint"))
        {
            await FootprintScenario.RunLargeDatabaseAsync(bench, cancellationToken);
        }
    }

    private static async Task FeedScenariosAsync(BenchContext bench, GatewayProcess gateway, BenchConnections connections, CancellationToken cancellationToken)
    {
        var listeners = new FeedListeners(connections);
        try
        {
            var start = Stopwatch.GetTimestamp();
            await Task.WhenAll(bench.Municipalities.Select(m => listeners.OpenAsync(m))).WaitAsync(TimeSpan.FromMinutes(2), cancellationToken);
            // COA and the IND read their feeds too: every notice an announcement causes is delivered and
            // acknowledged. What the throughput scenario left on them is read first.
            await Task.WhenAll(listeners.OpenCaughtUpAsync(BenchPki.Coa), listeners.OpenCaughtUpAsync(BenchPki.Ind)).WaitAsync(bench.Profile.PhaseLimit, cancellationToken);
            bench.Say($"{listeners.Streams} streams open (municipalities, COA, IND) and caught up in {Stopwatch.GetElapsedTime(start).TotalSeconds:0.0} s");
            await WarmUpFeedsAsync(bench, connections, listeners, cancellationToken);
            if (bench.Profile.Runs("e2e"))
            {
                await EndToEndScenario.RunAsync(bench, gateway, connections, listeners, cancellationToken);
            }
            if (bench.Profile.Runs("burst"))
            {
                await BurstScenario.RunAsync(bench, gateway, connections, listeners, cancellationToken);
            }
        }
        finally
        {
            await listeners.DisposeAsync();
        }
    }

    /// <summary>A few announcements delivered and acknowledged before the feed scenarios are timed.</summary>
    private static async Task WarmUpFeedsAsync(BenchContext bench, BenchConnections connections, FeedListeners listeners, CancellationToken cancellationToken)
    {
        var announcer = new Announcer(new Contracts.V1.ArrivalService.ArrivalServiceClient(connections.For(BenchPki.Coa).Channel), bench.Arrivals);
        var tracker = new NoticeTracker();
        listeners.Tracker = tracker;
        await announcer.BurstAsync(bench.Profile.Mode == "quick" ? 50 : 100_000, 8, bench.Profile.WarmUp / 2, "BENCH-WARM", tracker, cancellationToken);
        await EndToEndScenario.WaitAsync(tracker.AllConfirmed, bench.Profile.PhaseLimit, cancellationToken);
        listeners.Tracker = null;
        bench.Say($"feeds warmed up: {tracker.Confirmed:N0} announcements delivered and acknowledged");
    }

    private static void TryDelete(string directory)
    {
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
