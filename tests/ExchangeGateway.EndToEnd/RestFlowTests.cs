using ExchangeGateway.EndToEnd.Fixtures;
using ExchangeGateway.Tests.Shared;

namespace ExchangeGateway.EndToEnd;

/// <summary>The REST surface of the real exgw process, driven by nothing but bash and curl with the
/// organisations' certificates (tests/interop/rest/flow.sh): the chain from announcement to BSN, and
/// the refusals as problems.</summary>
public sealed class RestFlowTests
{
    [Fact]
    public async Task CurlFlow_AnnounceToBsnOverRestOnly_PassesWithProblemsForEveryRefusal()
    {
        var bash = ChildProcess.FindOnPath("bash");
        var curl = ChildProcess.FindOnPath("curl");
        Assert.True(bash is not null && curl is not null && ChildProcess.FindOnPath("node") is not null,
            "The REST flow needs bash, curl and node on PATH (CI installs them, see .ci/run).");
        var script = Path.Combine(TestRepository.Root(), "tests", "interop", "rest", "flow.sh");

        await using var gateway = await TestGateway.StartAsync();
        var result = await ChildProcess.RunAsync(bash, [script, gateway.Address.ToString().TrimEnd('/'), TestPki.Directory], Path.GetDirectoryName(script)!,
            TimeSpan.FromSeconds(60));

        Assert.True(result.ExitCode == 0,
            $"flow.sh exited with {result.ExitCode}.\n--- output ---\n{result.Output}\n--- gateway output ---\n{gateway.RecentOutput}");
        Assert.Contains("ok: the municipality reports the BSNs", result.Output, StringComparison.Ordinal);
        Assert.Contains("ok: another municipality's arrival is not found", result.Output, StringComparison.Ordinal);
        Assert.Contains("REST flow passed", result.Output, StringComparison.Ordinal);
    }
}
