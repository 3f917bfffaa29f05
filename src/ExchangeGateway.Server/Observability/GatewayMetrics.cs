using System.Diagnostics;
using System.Diagnostics.Metrics;
using ExchangeGateway.Contracts.V1;

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
        NoticesCommitted = _meter.CreateCounter<long>("exgw.notices.committed", "{notice}", "Notices stored on a feed, by feed kind and notice type.");
        NoticesDelivered = _meter.CreateCounter<long>("exgw.notices.delivered", "{notice}", "Notices written to a subscriber's stream for the first time (in this process), by feed kind.");
        NoticesRedelivered = _meter.CreateCounter<long>("exgw.notices.redelivered", "{notice}", "Notices written to a stream again (redelivery_count > 0), by feed kind.");
        NoticesAcknowledged = _meter.CreateCounter<long>("exgw.notices.acknowledged", "{notice}", "Acknowledgements committed, by feed kind.");
        EscalationsRaised = _meter.CreateCounter<long>("exgw.escalations.raised", "{escalation}", "Escalations raised, by kind.");
        EscalationsResolved = _meter.CreateCounter<long>("exgw.escalations.resolved", "{escalation}", "Escalations resolved by chain coordination, by kind.");
        LimitRefusals = _meter.CreateCounter<long>("exgw.limits.refusals", "{call}", "Calls refused by a limit (limit: rate, streams).");
        Reloads = _meter.CreateCounter<long>("exgw.reloads", "{reload}", "Changed files looked at (file: registry, trust, server_certificate; outcome: reloaded, rejected).");
        WebhookAttempts = _meter.CreateCounter<long>("exgw.webhook.attempts", "{request}", "Webhook POSTs (and connections refused before one), by feed kind and outcome: delivered, retried, parked, refused.");
        RetentionErased = _meter.CreateCounter<long>("exgw.retention.erased", "{record}", "Personal data erased by retention (what: arrival, unannounced_report, stored_answer).");
    }

    public Counter<long> Calls { get; }

    public Histogram<double> CallDuration { get; }

    public Histogram<int> BatchSize { get; }

    public Histogram<double> BatchDuration { get; }

    public Counter<long> NoticesCommitted { get; }

    public Counter<long> NoticesDelivered { get; }

    public Counter<long> NoticesRedelivered { get; }

    public Counter<long> NoticesAcknowledged { get; }

    public Counter<long> EscalationsRaised { get; }

    public Counter<long> EscalationsResolved { get; }

    public Counter<long> LimitRefusals { get; }

    public Counter<long> Reloads { get; }

    public Counter<long> RetentionErased { get; }

    public Counter<long> WebhookAttempts { get; }

    /// <summary>Registers the per-feed gauges: unacknowledged notices and the age of the oldest (from
    /// the database, as the last snapshot saw them) and streams open on this instance.</summary>
    public void ObserveFeeds(Func<IEnumerable<Measurement<long>>> unacknowledged, Func<IEnumerable<Measurement<double>>> oldestAge, Func<IEnumerable<Measurement<int>>> streams)
    {
        _meter.CreateObservableGauge("exgw.feed.unacknowledged", unacknowledged, "{notice}", "Notices stored on the feed and not yet acknowledged, by feed.");
        _meter.CreateObservableGauge("exgw.feed.oldest_unacknowledged.age", oldestAge, "s", "Age of the feed's oldest unacknowledged notice, by feed; absent when none is.");
        _meter.CreateObservableGauge("exgw.feed.streams", streams, "{stream}", "Subscribe streams open on this instance, by feed.");
    }

    public static KeyValuePair<string, object?> FeedKindTag(string feedId) => new("feed.kind", FeedKind(feedId));

    /// <summary>Registers the writer's queue depth, read whenever metrics are collected.</summary>
    public void ObserveWriteQueue(Func<int> depth) =>
        _meter.CreateObservableGauge("exgw.write.queue.depth", depth, "{unit}", "Units of work waiting for the single writer.");

    /// <summary>The kind of a feed ("municipality", "coa", …): its id without the municipality code,
    /// so the number of series stays small; no allocation per notice on the writer.</summary>
    public static string FeedKind(string feedId) =>
        feedId.StartsWith(FeedNames.MunicipalityPrefix, StringComparison.Ordinal) ? MunicipalityKind : feedId;

    /// <summary>An escalation kind as a tag ("AcknowledgementOverdue"); escalations are rare, so the
    /// enum's name costs nothing that matters.</summary>
    public static string EscalationKindName(EscalationKind kind) => kind.ToString();

    private static readonly string MunicipalityKind = FeedNames.MunicipalityPrefix.TrimEnd(':');
}
