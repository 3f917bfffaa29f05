using System.Diagnostics;
using Grpc.Core;

namespace ExchangeGateway.Cli.Bench;

/// <summary>One run of a closed-loop step: throughput and latency of the calls that completed inside
/// the measured window.</summary>
internal sealed record LoopRun(double OperationsPerSecond, LatencySummary Latency, long Operations, long Errors, string? FirstError, long Completed)
{
    /// <summary>Server CPU milliseconds per completed call over the whole run (warm-up included).</summary>
    public double ServerCpuMsPerOperation { get; init; } = double.NaN;
}

/// <summary>N concurrent callers, each calling in a loop: a warm-up, then a measured window.</summary>
internal static class ClosedLoop
{
    public static async Task<LoopRun> RunAsync(int concurrency, TimeSpan warmup, TimeSpan duration, Func<CancellationToken, Task> operation, CancellationToken cancellationToken)
    {
        var begin = Stopwatch.GetTimestamp();
        var measureFrom = begin + (long)(warmup.TotalSeconds * Stopwatch.Frequency);
        var measureUntil = measureFrom + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var perWorker = new List<double>[concurrency];
        long errors = 0;
        long completed = 0;
        string? firstError = null;
        var workers = Enumerable.Range(0, concurrency).Select(worker => Task.Run(async () =>
        {
            var latencies = perWorker[worker] = [];
            while (!cancellationToken.IsCancellationRequested)
            {
                var start = Stopwatch.GetTimestamp();
                if (start >= measureUntil)
                {
                    return;
                }
                try
                {
                    await operation(cancellationToken);
                    var end = Stopwatch.GetTimestamp();
                    Interlocked.Increment(ref completed);
                    if (end >= measureFrom && end <= measureUntil)
                    {
                        latencies.Add(LatencyLog.Since(start, end));
                    }
                }
                catch (RpcException e) when (e.StatusCode != StatusCode.Cancelled || !cancellationToken.IsCancellationRequested)
                {
                    if (Stopwatch.GetTimestamp() >= measureFrom)
                    {
                        Interlocked.Increment(ref errors);
                        Interlocked.CompareExchange(ref firstError, $"{e.StatusCode}: {e.Status.Detail}", null);
                    }
                }
            }
        }, cancellationToken)).ToList();
        await Task.WhenAll(workers);
        var all = perWorker.SelectMany(l => l).ToList();
        return new LoopRun(all.Count / duration.TotalSeconds, LatencySummary.Of(all), all.Count, errors, firstError, completed);
    }
}
