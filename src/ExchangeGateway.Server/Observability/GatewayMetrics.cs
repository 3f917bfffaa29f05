using System.Diagnostics;
using System.Diagnostics.Metrics;
using ExchangeGateway.Server.Identity;

namespace ExchangeGateway.Server.Observability;

/// <summary>The gateway's own instruments and its activity source. Every update is a counter or
/// histogram increment on the path it measures (no storage reads); gauges are read when a scrape or
/// an exporter asks. Tags never carry personal data: methods, status codes and feed kinds only.</summary>
internal sealed class GatewayMetrics
{
    public const string MeterName = "ExchangeGateway";

    /// <summary>Spans per call come from ASP.NET Core; this source adds one per commit batch and per
    /// delivery batch, not per notice.</summary>
    public static readonly ActivitySource Activities = new(MeterName);

    private static readonly double[] SecondsBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    private readonly Meter _meter;

    public GatewayMetrics(IMeterFactory meters)
    {
        _meter = meters.Create(MeterName);
        Calls = _meter.CreateCounter<long>("exgw.rpc.calls", "{call}", "Calls answered, by gRPC method and status code.");
        CallDuration = _meter.CreateHistogram("exgw.rpc.duration", "s", "Time from the call's start to its answer (streams: to their end), by method and status code.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = SecondsBuckets });
        BatchSize = _meter.CreateHistogram<int>("exgw.write.batch.size", "{unit}", "Units of work committed together by the single writer.",
            advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512] });
        BatchDuration = _meter.CreateHistogram("exgw.write.batch.duration", "s", "Time the writer spends on one batch, its commit included.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = SecondsBuckets });
        NoticesCommitted = _meter.CreateCounter<long>("exgw.notices.committed", "{notice}", "Notices stored on a feed, by feed kind.");
    }

    public Counter<long> Calls { get; }

    public Histogram<double> CallDuration { get; }

    public Histogram<int> BatchSize { get; }

    public Histogram<double> BatchDuration { get; }

    public Counter<long> NoticesCommitted { get; }

    /// <summary>Registers the writer's queue depth, read whenever metrics are collected.</summary>
    public void ObserveWriteQueue(Func<int> depth) =>
        _meter.CreateObservableGauge("exgw.write.queue.depth", depth, "{unit}", "Units of work waiting for the single writer.");

    /// <summary>The kind of a feed ("municipality", "coa", …): its id without the municipality code,
    /// so the number of series stays small; no allocation per notice on the writer.</summary>
    public static string FeedKind(string feedId) =>
        feedId.StartsWith(FeedNames.MunicipalityPrefix, StringComparison.Ordinal) ? MunicipalityKind : feedId;

    private static readonly string MunicipalityKind = FeedNames.MunicipalityPrefix.TrimEnd(':');
}
