using ExchangeGateway.Cli.Serve;
using ExchangeGateway.Contracts.V1;

namespace ExchangeGateway.Cli.Bench;

/// <summary>One concurrency step of a closed-loop scenario: medians over the runs.</summary>
internal sealed record StepResult(int Concurrency, double OperationsPerSecond, double P50Ms, double P99Ms, double P999Ms,
    long Operations, long Errors, IReadOnlyList<double> RunsOperationsPerSecond, double? ThroughputRatioToBaseline = null,
    double? P50RatioToBaseline = null, string? FirstError = null, double ServerCpuMsPerOperation = double.NaN);

/// <summary>Scenarios 1 and 2: the no-op Ping baseline and durable announcements, each at every
/// concurrency over COA's one channel (concurrency = that many callers looping).</summary>
internal static class ThroughputScenario
{
    public static async Task<long> RunAsync(BenchContext bench, GatewayProcess server, BenchConnections connections, CancellationToken cancellationToken)
    {
        var profile = bench.Profile;
        var channel = connections.For(BenchPki.Coa).Channel;
        var gateway = new GatewayService.GatewayServiceClient(channel);
        var announcer = new Announcer(new ArrivalService.ArrivalServiceClient(channel), bench.Arrivals);
        long announced = 0;

        // Warm-up, not measured: JIT and EF Core's first queries on both sides.
        for (var i = 0; i < 30; i++)
        {
            await gateway.PingAsync(new PingRequest(), deadline: DateTime.UtcNow.AddSeconds(60), cancellationToken: cancellationToken);
            await announcer.AnnounceAsync("BENCH-WARM", null, cancellationToken);
            Interlocked.Increment(ref announced);
        }
        await ClosedLoop.RunAsync(16, TimeSpan.Zero, profile.WarmUp, async token =>
        {
            await announcer.AnnounceAsync("BENCH-WARM", null, token);
            Interlocked.Increment(ref announced);
        }, cancellationToken);
        await ClosedLoop.RunAsync(16, TimeSpan.Zero, profile.WarmUp / 4, async token =>
            await gateway.PingAsync(new PingRequest(), deadline: DateTime.UtcNow.AddSeconds(60), cancellationToken: token), cancellationToken);
        bench.Say($"warmed up: {Interlocked.Read(ref announced):N0} announcements");

        var baseline = new List<StepResult>();
        var announce = new List<StepResult>();
        foreach (var concurrency in profile.Concurrencies)
        {
            var pings = await RunsAsync(bench, server, concurrency, async token =>
                await gateway.PingAsync(new PingRequest(), deadline: DateTime.UtcNow.AddSeconds(60), cancellationToken: token), cancellationToken);
            var ping = Summarise(concurrency, pings, null);
            bench.Baseline[concurrency] = ping;
            baseline.Add(ping);
            bench.Say($"ping      @{concurrency,3}: {ping.OperationsPerSecond,8:N0}/s  p50 {ping.P50Ms:0.00} ms  p99 {ping.P99Ms:0.00} ms  server CPU {ping.ServerCpuMsPerOperation:0.000} ms/call");

            var announces = await RunsAsync(bench, server, concurrency, async token =>
            {
                await announcer.AnnounceAsync("BENCH-TP", null, token);
                Interlocked.Increment(ref announced);
            }, cancellationToken);
            var step = Summarise(concurrency, announces, ping);
            announce.Add(step);
            bench.Say($"announce  @{concurrency,3}: {step.OperationsPerSecond,8:N0}/s  p50 {step.P50Ms:0.00} ms  p99 {step.P99Ms:0.00} ms  p999 {step.P999Ms:0.00} ms  errors {step.Errors}  server CPU {step.ServerCpuMsPerOperation:0.00} ms/call");
        }

        bench.Results.Scenarios["baseline"] = baseline;
        bench.Results.Scenarios["announce"] = announce;
        foreach (var ping in baseline)
        {
            bench.Results.Add(new Figure("1 baseline Ping", $"@{ping.Concurrency}: calls/s", ping.OperationsPerSecond, "/s"));
            bench.Results.Add(new Figure("1 baseline Ping", $"@{ping.Concurrency}: p50", ping.P50Ms, "ms"));
            bench.Results.Add(new Figure("1 baseline Ping", $"@{ping.Concurrency}: p99", ping.P99Ms, "ms"));
            bench.Results.Add(new Figure("1 baseline Ping", $"@{ping.Concurrency}: server CPU per call", ping.ServerCpuMsPerOperation, "ms"));
        }
        foreach (var step in announce)
        {
            var atTarget = step.Concurrency == 64;
            bench.Results.Add(new Figure("2 announce", $"@{step.Concurrency}: announcements/s{(step.Errors > 0 ? $" ({step.Errors} errors)" : "")}",
                step.OperationsPerSecond, "/s", step.ThroughputRatioToBaseline, $"Ping @{step.Concurrency}",
                atTarget ? ">= 0.25 × baseline" : null, atTarget ? step.ThroughputRatioToBaseline >= 0.25 : null));
            bench.Results.Add(new Figure("2 announce", $"@{step.Concurrency}: p50", step.P50Ms, "ms", step.P50RatioToBaseline, $"Ping @{step.Concurrency}"));
            bench.Results.Add(new Figure("2 announce", $"@{step.Concurrency}: p99", step.P99Ms, "ms", Ratio(step.P99Ms, baseline.First(b => b.Concurrency == step.Concurrency).P99Ms), $"Ping @{step.Concurrency}"));
            bench.Results.Add(new Figure("2 announce", $"@{step.Concurrency}: p999", step.P999Ms, "ms", Ratio(step.P999Ms, baseline.First(b => b.Concurrency == step.Concurrency).P999Ms), $"Ping @{step.Concurrency}"));
            bench.Results.Add(new Figure("2 announce", $"@{step.Concurrency}: server CPU per announcement", step.ServerCpuMsPerOperation, "ms",
                Ratio(step.ServerCpuMsPerOperation, baseline.First(b => b.Concurrency == step.Concurrency).ServerCpuMsPerOperation), $"Ping @{step.Concurrency}"));
        }
        return Interlocked.Read(ref announced);
    }

    private static async Task<List<LoopRun>> RunsAsync(BenchContext bench, GatewayProcess server, int concurrency, Func<CancellationToken, Task> operation, CancellationToken cancellationToken)
    {
        var runs = new List<LoopRun>();
        for (var run = 0; run < bench.Profile.StepRuns; run++)
        {
            var cpuBefore = server.CpuTime();
            var result = await ClosedLoop.RunAsync(concurrency, bench.Profile.StepWarmup, bench.Profile.StepDuration, operation, cancellationToken);
            var cpu = (server.CpuTime() - cpuBefore).TotalMilliseconds;
            runs.Add(result with { ServerCpuMsPerOperation = result.Completed > 0 ? cpu / result.Completed : double.NaN });
        }
        return runs;
    }

    private static StepResult Summarise(int concurrency, List<LoopRun> runs, StepResult? baseline)
    {
        var throughput = Median.Of(runs.Select(r => r.OperationsPerSecond));
        var p50 = Median.Of(runs.Select(r => r.Latency.P50Ms));
        return new StepResult(concurrency, throughput, p50,
            Median.Of(runs.Select(r => r.Latency.P99Ms)), Median.Of(runs.Select(r => r.Latency.P999Ms)),
            runs.Sum(r => r.Operations), runs.Sum(r => r.Errors), [.. runs.Select(r => r.OperationsPerSecond)],
            baseline is null ? null : Ratio(throughput, baseline.OperationsPerSecond),
            baseline is null ? null : Ratio(p50, baseline.P50Ms),
            runs.Select(r => r.FirstError).FirstOrDefault(e => e is not null),
            Median.Of(runs.Select(r => r.ServerCpuMsPerOperation)));
    }

    public static double Ratio(double value, double baseline) => baseline > 0 ? value / baseline : double.NaN;
}
