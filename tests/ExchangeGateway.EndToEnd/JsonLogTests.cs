using System.Text.Json;
using ExchangeGateway.Contracts.V1;
using ExchangeGateway.EndToEnd.Fixtures;
using Grpc.Core;

namespace ExchangeGateway.EndToEnd;

/// <summary><c>exgw serve</c> with <c>Logging:Console:FormatterName=json</c>, as a log collector reads it:
/// standard output holds JSON lines only (exgw's own messages go to standard error), each with a UTC
/// timestamp, and a line written during a call carries that call's W3C trace id.</summary>
public sealed class JsonLogTests
{
    private const string TraceId = "5c1c63257de34c67a04d1f9e2fb01a2b";

    [Fact]
    public async Task Serve_JsonFormatter_StdoutIsJsonLinesWithTimestampsAndTheCallersTraceId()
    {
        await using var gateway = await TestGateway.StartAsync(arguments:
        [
            "--Logging:Console:FormatterName=json",
            // The hosting layer logs each request at Information: a line written inside a call.
            "--Logging:LogLevel:Microsoft.AspNetCore.Hosting.Diagnostics=Information",
        ]);
        using var coa = gateway.ClientFor("coa");

        await new GatewayService.GatewayServiceClient(coa.Channel).PingAsync(new PingRequest(),
            new Metadata { { "traceparent", $"00-{TraceId}-a3ce929d0e0e4736-01" } });

        var lines = await WaitForAsync(gateway, l => l.Any(line => line.Contains(TraceId, StringComparison.Ordinal)));
        var standardOutput = lines.Where(l => !l.StartsWith(GatewayProcess.StandardErrorPrefix, StringComparison.Ordinal) && !l.StartsWith("---- ", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(standardOutput);
        var entries = standardOutput.Select(line => JsonDocument.Parse(line).RootElement).ToList(); // throws on a line that is not JSON
        Assert.All(entries, e => Assert.EndsWith("Z", e.GetProperty("Timestamp").GetString(), StringComparison.Ordinal));
        Assert.Contains(entries, e => e.GetRawText().Contains($"\"TraceId\":\"{TraceId}\"", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith(GatewayProcess.StandardErrorPrefix + "Exchange gateway listening on", StringComparison.Ordinal));
    }

    private static async Task<IReadOnlyList<string>> WaitForAsync(GatewayProcess gateway, Func<IReadOnlyList<string>, bool> condition)
    {
        IReadOnlyList<string> lines = [];
        await Until.TrueAsync(() => Task.FromResult(condition(lines = gateway.RecentOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))),
            () => "such a log line:\n" + gateway.RecentOutput);
        return lines;
    }
}
