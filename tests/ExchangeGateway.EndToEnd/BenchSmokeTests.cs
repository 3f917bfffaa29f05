using System.Text.Json;

namespace ExchangeGateway.EndToEnd;

/// <summary>`exgw bench --quick` runs the whole benchmark suite against a real gateway process and
/// writes a result per scenario. It checks that the suite works, not that the gateway is fast.</summary>
public sealed class BenchSmokeTests
{
    private static readonly string[] Scenarios = ["baseline", "announce", "endToEnd", "burst", "catchUp", "streams", "footprint"];

    [Fact]
    public async Task QuickBenchRunsEveryScenarioAndWritesJson()
    {
        var output = Path.Combine(Path.GetTempPath(), $"exgw-bench-smoke-{Guid.NewGuid():N}.json");
        try
        {
            var bench = await ChildProcess.RunAsync("dotnet", [GatewayProcess.ExgwPath, "bench", "--quick", "--out", output], Path.GetTempPath(), TimeSpan.FromMinutes(5));
            Assert.True(bench.ExitCode == 0, $"exit code {bench.ExitCode}\n{bench.Output}");

            using var json = JsonDocument.Parse(await File.ReadAllTextAsync(output));
            var root = json.RootElement;
            Assert.Equal("quick", root.GetProperty("mode").GetString());
            Assert.True(root.GetProperty("machine").GetProperty("processorCount").GetInt32() > 0);
            var scenarios = root.GetProperty("scenarios");
            foreach (var scenario in Scenarios)
            {
                Assert.True(scenarios.TryGetProperty(scenario, out _), $"no result for scenario '{scenario}' in {output}");
            }
            Assert.Equal(4, scenarios.GetProperty("baseline").GetArrayLength());
            Assert.Equal(4, scenarios.GetProperty("announce").GetArrayLength());
            Assert.NotEmpty(root.GetProperty("figures").EnumerateArray());
        }
        finally
        {
            File.Delete(output);
        }
    }
}
