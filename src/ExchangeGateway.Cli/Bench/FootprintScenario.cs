using System.Diagnostics;
using ExchangeGateway.Cli.Serve;
using ExchangeGateway.Contracts.V1;

namespace ExchangeGateway.Cli.Bench;

internal sealed record FootprintResult
{
    public double StartUpFreshSeconds { get; set; }

    public long IdleResidentBytes { get; set; }

    public long Arrivals { get; set; }

    public long DatabaseBytes { get; set; }

    public double BytesPerArrival { get; set; }

    public int LargeDatabaseNotices { get; set; }

    public long LargeDatabaseBytes { get; set; }

    public double LargeDatabaseSeedSeconds { get; set; }

    public List<double> StartUpLargeSeconds { get; } = [];

    /// <summary>Process start until the gateway printed that it listens (the rest is the first Ping).</summary>
    public List<double> ListeningLargeSeconds { get; } = [];

    public double StartUpLargeMedianSeconds { get; set; }

    /// <summary>Process start until the first AnnounceArrival was answered OK (what the target is about).</summary>
    public double FirstAnnouncementFreshSeconds { get; set; }

    public List<double> FirstAnnouncementLargeSeconds { get; } = [];

    public double FirstAnnouncementLargeMedianSeconds { get; set; }
}

/// <summary>Scenario 7: start-up time (process start until a Ping succeeds, and until the first
/// announcement is answered OK) on a fresh and on a large database, idle RSS, and database bytes per
/// announced arrival.</summary>
internal static class FootprintScenario
{
    public static FootprintResult Result(BenchContext bench)
    {
        if (!bench.Results.Scenarios.TryGetValue("footprint", out var existing))
        {
            existing = new FootprintResult();
            bench.Results.Scenarios["footprint"] = existing;
        }
        return (FootprintResult)existing;
    }

    /// <summary>Right after the first start on the fresh database.</summary>
    public static async Task RecordFreshAsync(BenchContext bench, GatewayProcess gateway, TimeSpan startUp, CancellationToken cancellationToken)
    {
        await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
        var result = Result(bench);
        result.StartUpFreshSeconds = startUp.TotalSeconds;
        result.IdleResidentBytes = gateway.ResidentBytes();
        bench.Say($"start-up on a fresh database {startUp.TotalMilliseconds:N0} ms; idle RSS {result.IdleResidentBytes / 1048576.0:N0} MiB");
    }

    /// <summary>After the announce steps: the database holds exactly those arrivals.</summary>
    public static void RecordDatabase(BenchContext bench, long arrivals)
    {
        var result = Result(bench);
        result.Arrivals = arrivals;
        result.DatabaseBytes = BacklogSeeder.FileBytes(bench.Database);
        result.BytesPerArrival = arrivals > 0 ? result.DatabaseBytes / (double)arrivals : double.NaN;
        bench.Say($"database {result.DatabaseBytes / 1048576.0:N1} MiB after {arrivals:N0} arrivals: {result.BytesPerArrival:N0} bytes per arrival");
    }

    /// <summary>A second database with many notices (written directly), then restarts on it.</summary>
    public static async Task RunLargeDatabaseAsync(BenchContext bench, CancellationToken cancellationToken)
    {
        var result = Result(bench);
        var database = Path.Combine(bench.WorkDirectory, "startup.db");
        var (gateway, connections, _) = await bench.StartGatewayAsync(database, cancellationToken);
        result.FirstAnnouncementFreshSeconds = (await FirstAnnouncementAsync(bench, gateway, connections, cancellationToken)).TotalSeconds;
        connections.Dispose();
        await gateway.DisposeAsync();
        bench.Say($"start-up on a fresh database to the first announcement answered OK: {result.FirstAnnouncementFreshSeconds * 1000:N0} ms");

        var notices = bench.Profile.StartupDatabaseNotices;
        var seed = await BacklogSeeder.TimeAsync(() => BacklogSeeder.SeedAsync(database, bench.Pki, bench.Pki.Municipalities, notices,
            withArrivals: false, acknowledgedShare: 0.99, cancellationToken));
        result.LargeDatabaseNotices = notices;
        result.LargeDatabaseSeedSeconds = seed.TotalSeconds;
        result.LargeDatabaseBytes = BacklogSeeder.FileBytes(database);
        bench.Say($"seeded {notices:N0} notices ({result.LargeDatabaseBytes / 1048576.0:N0} MiB) in {seed.TotalSeconds:0.0} s");

        for (var run = 0; run < bench.Profile.StartupRuns; run++)
        {
            var (restarted, restartedConnections, startUp) = await bench.StartGatewayAsync(database, cancellationToken);
            var announced = await FirstAnnouncementAsync(bench, restarted, restartedConnections, cancellationToken);
            restartedConnections.Dispose();
            await restarted.DisposeAsync();
            result.StartUpLargeSeconds.Add(startUp.TotalSeconds);
            result.FirstAnnouncementLargeSeconds.Add(announced.TotalSeconds);
            var listening = Stopwatch.GetElapsedTime(restarted.StartedAt, restarted.ListeningAt);
            result.ListeningLargeSeconds.Add(listening.TotalSeconds);
            bench.Say($"start-up on {notices:N0} notices: first announcement OK after {announced.TotalMilliseconds:N0} ms (Ping {startUp.TotalMilliseconds:N0} ms, listening {listening.TotalMilliseconds:N0} ms)");
        }
        result.StartUpLargeMedianSeconds = Median.Of(result.StartUpLargeSeconds);
        result.FirstAnnouncementLargeMedianSeconds = Median.Of(result.FirstAnnouncementLargeSeconds);

        const string scenario = "7 footprint";
        bench.Results.Add(new Figure(scenario, "start-up to first Ping, fresh database", result.StartUpFreshSeconds * 1000, "ms"));
        bench.Results.Add(new Figure(scenario, "idle server RSS", result.IdleResidentBytes / 1048576.0, "MiB"));
        bench.Results.Add(new Figure(scenario, $"database bytes per arrival ({result.Arrivals:N0} announced, incl. -wal)", result.BytesPerArrival, "B"));
        bench.Results.Add(new Figure(scenario, "start-up to the first announcement answered OK, fresh database", result.FirstAnnouncementFreshSeconds * 1000, "ms",
            Target: "<= 1000 ms", Pass: result.FirstAnnouncementFreshSeconds <= 1));
        bench.Results.Add(new Figure(scenario, $"start-up to first Ping, {notices:N0} notices ({result.LargeDatabaseBytes / 1048576.0:N0} MiB), median of {result.StartUpLargeSeconds.Count}",
            result.StartUpLargeMedianSeconds * 1000, "ms"));
        bench.Results.Add(new Figure(scenario, $"start-up to the first announcement answered OK, {notices:N0} notices, median of {result.FirstAnnouncementLargeSeconds.Count}",
            result.FirstAnnouncementLargeMedianSeconds * 1000, "ms", Target: "<= 1000 ms", Pass: result.FirstAnnouncementLargeMedianSeconds <= 1));
        bench.Results.Add(new Figure(scenario, "of which until the gateway printed that it listens (median)", Median.Of(result.ListeningLargeSeconds) * 1000, "ms"));
    }

    /// <summary>Process start until one AnnounceArrival (after the first Ping) was answered OK.</summary>
    private static async Task<TimeSpan> FirstAnnouncementAsync(BenchContext bench, GatewayProcess gateway, BenchConnections connections, CancellationToken cancellationToken)
    {
        var arrivals = new ArrivalService.ArrivalServiceClient(connections.For(BenchPki.Coa).Channel);
        await arrivals.AnnounceArrivalAsync(ArrivalFactory.Request(bench.Arrivals.Next("BENCH-START")),
            deadline: DateTime.UtcNow.AddSeconds(30), cancellationToken: cancellationToken);
        return Stopwatch.GetElapsedTime(gateway.StartedAt);
    }
}
