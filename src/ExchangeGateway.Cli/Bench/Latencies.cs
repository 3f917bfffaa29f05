using System.Diagnostics;

namespace ExchangeGateway.Cli.Bench;

/// <summary>Percentiles (nearest rank) of latencies in milliseconds.</summary>
internal sealed record LatencySummary(int Count, double P50Ms, double P99Ms, double P999Ms, double MaxMs)
{
    public static LatencySummary Empty { get; } = new(0, double.NaN, double.NaN, double.NaN, double.NaN);

    public static LatencySummary Of(IEnumerable<double> milliseconds)
    {
        var sorted = milliseconds.Order().ToArray();
        return sorted.Length == 0
            ? Empty
            : new LatencySummary(sorted.Length, Rank(sorted, 0.50), Rank(sorted, 0.99), Rank(sorted, 0.999), sorted[^1]);
    }

    private static double Rank(double[] sorted, double quantile) =>
        sorted[Math.Clamp((int)Math.Ceiling(quantile * sorted.Length) - 1, 0, sorted.Length - 1)];
}

/// <summary>Thread-safe collection of latencies.</summary>
internal sealed class LatencyLog
{
    private readonly List<double> _milliseconds = [];
    private readonly Lock _gate = new();

    public static double Since(long startTimestamp, long endTimestamp) => Stopwatch.GetElapsedTime(startTimestamp, endTimestamp).TotalMilliseconds;

    public void Add(double milliseconds)
    {
        lock (_gate)
        {
            _milliseconds.Add(milliseconds);
        }
    }

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _milliseconds.Count;
            }
        }
    }

    public LatencySummary Summary()
    {
        lock (_gate)
        {
            return LatencySummary.Of(_milliseconds);
        }
    }
}

/// <summary>The median of a few runs.</summary>
internal static class Median
{
    public static double Of(IEnumerable<double> values)
    {
        var sorted = values.Where(v => !double.IsNaN(v)).Order().ToArray();
        return sorted.Length == 0 ? double.NaN
            : sorted.Length % 2 == 1 ? sorted[sorted.Length / 2]
            : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
