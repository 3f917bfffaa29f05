using System.Collections.Concurrent;
using System.IO.Compression;
using System.Net;
using Google.Protobuf;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ExchangeGateway.EndToEnd.Fixtures;

/// <summary>An OpenTelemetry collector as far as a test needs one: OTLP over HTTP with protobuf
/// (<c>OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf</c>) on a loopback port, keeping every export it
/// receives as sent, and reading spans from them by the OTLP wire format itself (field numbers of
/// opentelemetry-proto's trace.proto), so no generated OTLP classes are needed.</summary>
public sealed class OtlpReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<byte[]> _traces = new();
    private readonly ConcurrentQueue<byte[]> _metrics = new();

    private OtlpReceiver(WebApplication app)
    {
        _app = app;
    }

    /// <summary>The endpoint for <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> (the exporter adds /v1/traces, /v1/metrics).</summary>
    public Uri Endpoint { get; private set; } = null!;

    /// <summary>Every trace export received so far, as its raw protobuf body.</summary>
    public IReadOnlyList<byte[]> TraceExports => [.. _traces];

    /// <summary>Every metrics export received so far, as its raw protobuf body.</summary>
    public IReadOnlyList<byte[]> MetricExports => [.. _metrics];

    public static async Task<OtlpReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var receiver = new OtlpReceiver(app);
        app.MapPost("/v1/traces", context => receiver.ReceiveAsync(context, receiver._traces));
        app.MapPost("/v1/metrics", context => receiver.ReceiveAsync(context, receiver._metrics));
        app.MapPost("/v1/logs", context => receiver.ReceiveAsync(context, new ConcurrentQueue<byte[]>()));
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        receiver.Endpoint = new Uri(address);
        return receiver;
    }

    /// <summary>Every span received so far.</summary>
    public IReadOnlyList<ExportedSpan> Spans() => [.. TraceExports.SelectMany(ExportedSpan.Read)];

    private async Task ReceiveAsync(HttpContext context, ConcurrentQueue<byte[]> into)
    {
        Stream body = context.Request.Body;
        if (context.Request.Headers.ContentEncoding == "gzip")
        {
            body = new GZipStream(body, CompressionMode.Decompress);
        }
        using var buffer = new MemoryStream();
        await body.CopyToAsync(buffer);
        into.Enqueue(buffer.ToArray());
        context.Response.ContentType = "application/x-protobuf";
        // An empty Export*ServiceResponse: everything accepted.
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}

/// <summary>One span of an OTLP trace export: what a test asserts on.</summary>
public sealed record ExportedSpan(string TraceId, string SpanId, string ParentSpanId, string Name, TimeSpan Duration,
    IReadOnlyDictionary<string, string> Attributes, IReadOnlyList<string> LinkedTraceIds)
{
    /// <summary>ExportTraceServiceRequest.resource_spans(1) → ResourceSpans.scope_spans(2) →
    /// ScopeSpans.spans(2) → Span.</summary>
    public static IEnumerable<ExportedSpan> Read(byte[] export)
    {
        foreach (var resourceSpans in Fields(export, 1))
        {
            foreach (var scopeSpans in Fields(resourceSpans, 2))
            {
                foreach (var span in Fields(scopeSpans, 2))
                {
                    yield return Parse(span);
                }
            }
        }
    }

    private static ExportedSpan Parse(byte[] span)
    {
        string traceId = "", spanId = "", parent = "", name = "";
        ulong start = 0, end = 0;
        var attributes = new Dictionary<string, string>(StringComparer.Ordinal);
        var links = new List<string>();
        var input = new CodedInputStream(span);
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1: traceId = Convert.ToHexStringLower(input.ReadBytes().ToByteArray()); break;
                case 2: spanId = Convert.ToHexStringLower(input.ReadBytes().ToByteArray()); break;
                case 4: parent = Convert.ToHexStringLower(input.ReadBytes().ToByteArray()); break;
                case 5: name = input.ReadString(); break;
                case 7: start = input.ReadFixed64(); break;
                case 8: end = input.ReadFixed64(); break;
                case 9:
                    var (key, value) = KeyValue(input.ReadBytes().ToByteArray());
                    attributes[key] = value;
                    break;
                case 13: // Span.links: Link.trace_id(1)
                    links.AddRange(Fields(input.ReadBytes().ToByteArray(), 1).Select(Convert.ToHexStringLower));
                    break;
                default: input.SkipLastField(); break;
            }
        }
        return new ExportedSpan(traceId, spanId, parent, name, TimeSpan.FromTicks((long)(end - start) / 100), attributes, links);
    }

    /// <summary>KeyValue{key(1), value(2): AnyValue}; the value as text whatever its kind.</summary>
    private static (string Key, string Value) KeyValue(byte[] keyValue)
    {
        var key = "";
        var value = "";
        var input = new CodedInputStream(keyValue);
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            if (WireFormat.GetTagFieldNumber(tag) == 1)
            {
                key = input.ReadString();
            }
            else if (WireFormat.GetTagFieldNumber(tag) == 2)
            {
                value = AnyValue(input.ReadBytes().ToByteArray());
            }
            else
            {
                input.SkipLastField();
            }
        }
        return (key, value);
    }

    private static string AnyValue(byte[] anyValue)
    {
        var input = new CodedInputStream(anyValue);
        var tag = input.ReadTag();
        return WireFormat.GetTagFieldNumber(tag) switch
        {
            1 => input.ReadString(),
            2 => input.ReadBool().ToString(),
            3 => input.ReadInt64().ToString(System.Globalization.CultureInfo.InvariantCulture),
            4 => input.ReadDouble().ToString(System.Globalization.CultureInfo.InvariantCulture),
            _ => "(complex)",
        };
    }

    /// <summary>The length-delimited values of field <paramref name="number"/> in a message.</summary>
    private static List<byte[]> Fields(byte[] message, int number)
    {
        var values = new List<byte[]>();
        var input = new CodedInputStream(message);
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            if (WireFormat.GetTagFieldNumber(tag) == number && WireFormat.GetTagWireType(tag) == WireFormat.WireType.LengthDelimited)
            {
                values.Add(input.ReadBytes().ToByteArray());
            }
            else
            {
                input.SkipLastField();
            }
        }
        return values;
    }
}
