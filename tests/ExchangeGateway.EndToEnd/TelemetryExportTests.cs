using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using ExchangeGateway.Contracts.V1;
using ExchangeGateway.EndToEnd.Fixtures;
using ExchangeGateway.Tests.Shared;
using Grpc.Core;
using Xunit.Abstractions;

namespace ExchangeGateway.EndToEnd;

/// <summary>What an OpenTelemetry collector and Prometheus receive from a real <c>exgw serve</c>
/// configured by the standard <c>OTEL_*</c> variables: spans per call, per commit batch and per
/// delivery batch, the caller's trace continued; the per-feed gauges and counters; and nowhere, in any
/// span, metric or scrape, a piece of the personal data that went through.</summary>
public sealed partial class TelemetryExportTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string TraceId = "0af7651916cd43dd8448eb211c80319c";
    private const string CallerSpan = "b7ad6b7169203331";
    private const string MetricsToken = "scrape-token-7f3c";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10) };

    private OtlpReceiver _collector = null!;
    private GatewayProcess _gateway = null!;

    public async Task InitializeAsync()
    {
        _collector = await OtlpReceiver.StartAsync();
        _gateway = await TestGateway.StartAsync(
            arguments: ["--Gateway:Management:FeedGaugeInterval=00:00:00.200", "--Gateway:Management:MetricsBearerToken=" + MetricsToken],
            environment: new Dictionary<string, string>
            {
                ["OTEL_EXPORTER_OTLP_ENDPOINT"] = _collector.Endpoint.ToString().TrimEnd('/'),
                ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
                ["OTEL_BSP_SCHEDULE_DELAY"] = "100",
                ["OTEL_METRIC_EXPORT_INTERVAL"] = "500",
            });
    }

    public async Task DisposeAsync()
    {
        await _gateway.DisposeAsync();
        await _collector.DisposeAsync();
    }

    [Fact]
    public async Task Announce_WithCallerTraceparentThenDelivered_SpansAndMetricsExportedWithoutPersonalData()
    {
        var details = TestArrivals.Family("0363", travellers: 2);
        details.Travellers[0].Name = new PersonName { GivenNames = "Zerihunotel", Surname = "Tewoldeotel" };
        details.DestinationAddress.Street = "Geheimstraatotel";
        using var coa = _gateway.ClientFor("coa");
        using var amsterdam = _gateway.ClientFor("gemeente-amsterdam");

        var headers = new Metadata { { "traceparent", $"00-{TraceId}-{CallerSpan}-01" } };
        var announced = (await new ArrivalService.ArrivalServiceClient(coa.Channel).AnnounceArrivalAsync(
            new AnnounceArrivalRequest { RequestId = Guid.NewGuid().ToString(), Arrival = details }, headers)).Arrival;
        await using (var feed = new FeedProbe(amsterdam))
        {
            var notice = await feed.NextAsync(Timeout);
            Assert.Equal(announced.ArrivalId, notice.Notice.Subject);
            // Delivered, not yet acknowledged: the feed's backlog shows in the gauges.
            var unacknowledged = await ScrapeUntilAsync(m => Value(m, "exgw_feed_unacknowledged", "feed=\"municipality:0363\"") >= 1
                && Value(m, "exgw_feed_streams", "feed=\"municipality:0363\"") == 1);
            Assert.True(Value(unacknowledged, "exgw_feed_oldest_unacknowledged_age_seconds", "feed=\"municipality:0363\"") >= 0);
            Assert.True(Value(unacknowledged, "exgw_notices_delivered_total", "feed_kind=\"municipality\"") >= 1);
            await notice.AcknowledgeAsync().WaitAsync(Timeout);
        }
        var scrape = await ScrapeUntilAsync(m => Value(m, "exgw_notices_acknowledged_total", "feed_kind=\"municipality\"") >= 1
            && Value(m, "exgw_feed_unacknowledged", "feed=\"municipality:0363\"") is null or 0);

        // The call's span continues the caller's trace; the batch that committed it links to it.
        var spans = await SpansUntilAsync(s => s.Any(IsAnnounceCall) && s.Any(b => b.Name == "commit batch" && b.LinkedTraceIds.Contains(TraceId))
            && s.Any(d => d.Name == "deliver notices"));
        var call = spans.Single(IsAnnounceCall);
        Assert.Equal(CallerSpan, call.ParentSpanId);
        var commit = spans.First(b => b.Name == "commit batch" && b.LinkedTraceIds.Contains(TraceId));
        Assert.NotEqual(TraceId, commit.TraceId); // a batch is a root of its own, linked to each call
        var delivery = spans.First(d => d.Name == "deliver notices");
        Assert.Equal("municipality", delivery.Attributes["feed.kind"]);
        output.WriteLine($"trace of one announcement: {call.Name} {call.Duration.TotalMilliseconds:F2} ms (parent {call.ParentSpanId}); "
            + $"linked {commit.Name} {commit.Duration.TotalMilliseconds:F2} ms, size {commit.Attributes.GetValueOrDefault("exgw.batch.size")}; "
            + $"{delivery.Name} {delivery.Duration.TotalMilliseconds:F2} ms, notices {delivery.Attributes.GetValueOrDefault("notices")}");
        await Until.TrueAsync(() => Task.FromResult(_collector.MetricExports.Any(e => Contains(e, "exgw.notices.acknowledged"))), "an OTLP metrics export with the acknowledgement counter", Timeout);

        Assert.Contains(_collector.TraceExports, e => Contains(e, "AnnounceArrival")); // exports are plain protobuf: a byte search sees every string
        string[] personal = [.. details.Travellers.Select(t => t.VNumber), details.Referent.VNumber, details.CaseReference,
            "Zerihunotel", "Tewoldeotel", "Geheimstraatotel", details.Travellers[0].BirthDate.ToString()];
        foreach (var value in personal)
        {
            var bytes = Encoding.UTF8.GetBytes(value);
            Assert.DoesNotContain(_collector.TraceExports, e => e.AsSpan().IndexOf(bytes) >= 0);
            Assert.DoesNotContain(_collector.MetricExports, e => e.AsSpan().IndexOf(bytes) >= 0);
            Assert.DoesNotContain(value, scrape, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Metrics_BearerTokenSet_RefusedWithoutItOrWithAnotherAndProbesStayOpen()
    {
        var metrics = new Uri(_gateway.ManagementAddress, "/metrics");
        using var wrong = new HttpRequestMessage(HttpMethod.Get, metrics) { Headers = { { "Authorization", "Bearer not-the-token" } } };

        var without = await Http.GetAsync(metrics);
        var withWrong = await Http.SendAsync(wrong);
        var ready = await Http.GetAsync(new Uri(_gateway.ManagementAddress, "/readyz"));

        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, without.StatusCode);
        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, withWrong.StatusCode);
        Assert.DoesNotContain("exgw_", await withWrong.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(System.Net.HttpStatusCode.OK, ready.StatusCode);
        Assert.Contains("exgw_write_queue_depth", await ScrapeAsync(), StringComparison.Ordinal);
    }

    private async Task<string> ScrapeAsync()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(_gateway.ManagementAddress, "/metrics"))
        {
            Headers = { { "Authorization", "Bearer " + MetricsToken } },
        };
        using var response = await Http.SendAsync(request);
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadAsStringAsync();
    }

    private static bool IsAnnounceCall(ExportedSpan span) =>
        span.TraceId == TraceId && span.Attributes.GetValueOrDefault("http.route", span.Name).Contains("AnnounceArrival", StringComparison.Ordinal);

    private static bool Contains(byte[] export, string text) => export.AsSpan().IndexOf(Encoding.UTF8.GetBytes(text)) >= 0;

    private async Task<string> ScrapeUntilAsync(Func<string, bool> condition)
    {
        var last = "";
        await Until.TrueAsync(async () => condition(last = await ScrapeAsync()),
            () => "a /metrics scrape as expected; the last:\n" + last, Timeout);
        return last;
    }

    private async Task<IReadOnlyList<ExportedSpan>> SpansUntilAsync(Func<IReadOnlyList<ExportedSpan>, bool> condition)
    {
        IReadOnlyList<ExportedSpan> spans = [];
        await Until.TrueAsync(() => Task.FromResult(condition(spans = _collector.Spans())),
            () => "the spans expected; received: " + string.Join(", ", spans.Select(s => $"{s.Name} ({s.TraceId})")), Timeout);
        return spans;
    }

    /// <summary>The value of the first sample of <paramref name="metric"/> whose labels include
    /// <paramref name="label"/>, or null when there is none.</summary>
    private static double? Value(string scrape, string metric, string label)
    {
        foreach (Match sample in Sample().Matches(scrape))
        {
            if (sample.Groups["name"].Value == metric && sample.Groups["labels"].Value.Contains(label, StringComparison.Ordinal))
            {
                return double.Parse(sample.Groups["value"].Value, CultureInfo.InvariantCulture);
            }
        }
        return null;
    }

    [GeneratedRegex(@"^(?<name>[a-z_]+)\{(?<labels>[^}]*)\} (?<value>[0-9.eE+-]+)", RegexOptions.Multiline)]
    private static partial Regex Sample();
}
