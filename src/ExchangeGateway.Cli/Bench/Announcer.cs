using System.Diagnostics;
using ExchangeGateway.Contracts.V1;
using Grpc.Core;

namespace ExchangeGateway.Cli.Bench;

/// <summary>How an open-loop run at a fixed rate went.</summary>
internal sealed record RateRun(int Count, int Succeeded, double TargetRate, double OfferedRate, double CompletedRate, LatencySummary AnnounceLatency, long Errors, string? FirstError);

/// <summary>How a burst went: when the last announcement was answered OK.</summary>
internal sealed record BurstRun(int Count, int Succeeded, TimeSpan Announced, long Errors, string? FirstError);

/// <summary>Announces as COA over COA's channel, with a raw ArrivalService client (no SDK retries,
/// so every figure is one attempt) and a fresh request_id per announcement.</summary>
internal sealed class Announcer(ArrivalService.ArrivalServiceClient client, ArrivalFactory factory, IReadOnlyList<BenchMunicipality>? only = null)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);
    private int _next;

    public async Task AnnounceAsync(string prefix, NoticeTracker? tracker, CancellationToken cancellationToken)
    {
        var details = only is null ? factory.Next(prefix) : factory.Next(prefix, only[(Interlocked.Increment(ref _next) & int.MaxValue) % only.Count]);
        tracker?.Sending(details.CaseReference);
        var answer = await client.AnnounceArrivalAsync(ArrivalFactory.Request(details), deadline: DateTime.UtcNow + Deadline, cancellationToken: cancellationToken);
        tracker?.Answered(answer.Arrival.ArrivalId);
    }

    /// <summary>Open loop: announcement i is sent at start + i/rate whether or not earlier ones were
    /// answered (up to <paramref name="maxInFlight"/>; past that the offered rate drops and says so).
    /// Sending stops after <paramref name="limit"/>; the tracker is told how many were answered OK.</summary>
    public async Task<RateRun> AtRateAsync(int count, double rate, int maxInFlight, TimeSpan limit, string prefix, NoticeTracker tracker, CancellationToken cancellationToken)
    {
        using var inFlight = new SemaphoreSlim(maxInFlight);
        var latencies = new LatencyLog();
        long errors = 0;
        string? firstError = null;
        long lastCompleted = 0;
        var calls = new List<Task>(count);
        var start = Stopwatch.GetTimestamp();
        for (var i = 0; i < count && Stopwatch.GetElapsedTime(start) < limit; i++)
        {
            var due = start + (long)(i / rate * Stopwatch.Frequency);
            var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), due);
            if (wait > TimeSpan.FromMilliseconds(1))
            {
                await Task.Delay(wait, cancellationToken);
            }
            await inFlight.WaitAsync(cancellationToken);
            calls.Add(Task.Run(async () =>
            {
                var sent = Stopwatch.GetTimestamp();
                try
                {
                    await AnnounceAsync(prefix, tracker, cancellationToken);
                    var done = Stopwatch.GetTimestamp();
                    latencies.Add(LatencyLog.Since(sent, done));
                    InterlockedMax(ref lastCompleted, done);
                }
                catch (RpcException e)
                {
                    Interlocked.Increment(ref errors);
                    Interlocked.CompareExchange(ref firstError, $"{e.StatusCode}: {e.Status.Detail}", null);
                }
                finally
                {
                    inFlight.Release();
                }
            }, cancellationToken));
        }
        var offered = (calls.Count - 1) / Math.Max(Stopwatch.GetElapsedTime(start).TotalSeconds, 1e-9);
        await Task.WhenAll(calls);
        tracker.Expect(latencies.Count);
        var completedSeconds = Stopwatch.GetElapsedTime(start, Interlocked.Read(ref lastCompleted)).TotalSeconds;
        var completedRate = latencies.Count > 1 ? latencies.Count / Math.Max(completedSeconds, 1e-9) : double.NaN;
        return new RateRun(calls.Count, latencies.Count, rate, Math.Min(offered, rate), completedRate, latencies.Summary(), errors, firstError);
    }

    /// <summary>Closed loop: <paramref name="concurrency"/> callers announce until <paramref name="count"/>
    /// were sent or <paramref name="limit"/> passed; the tracker is told how many were answered OK.</summary>
    public async Task<BurstRun> BurstAsync(int count, int concurrency, TimeSpan limit, string prefix, NoticeTracker tracker, CancellationToken cancellationToken)
    {
        var next = 0;
        var succeeded = 0;
        long errors = 0;
        string? firstError = null;
        var start = Stopwatch.GetTimestamp();
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
        {
            while (Stopwatch.GetElapsedTime(start) < limit && Interlocked.Increment(ref next) <= count)
            {
                try
                {
                    await AnnounceAsync(prefix, tracker, cancellationToken);
                    Interlocked.Increment(ref succeeded);
                }
                catch (RpcException e)
                {
                    Interlocked.Increment(ref errors);
                    Interlocked.CompareExchange(ref firstError, $"{e.StatusCode}: {e.Status.Detail}", null);
                }
            }
        }, cancellationToken)));
        tracker.Expect(succeeded);
        return new BurstRun(Math.Min(next, count), succeeded, Stopwatch.GetElapsedTime(start), errors, firstError);
    }

    private static void InterlockedMax(ref long target, long value)
    {
        var current = Interlocked.Read(ref target);
        while (value > current)
        {
            var seen = Interlocked.CompareExchange(ref target, value, current);
            if (seen == current)
            {
                return;
            }
            current = seen;
        }
    }
}
