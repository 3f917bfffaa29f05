using ExchangeGateway.EndToEnd.Fixtures;

namespace ExchangeGateway.EndToEnd;

/// <summary><c>exgw demo</c> as a user runs it: a process that starts the gateway, plays COA, the IND
/// and three municipalities, and exits 0 only if the chain closed.</summary>
public sealed class DemoTests
{
    [Fact]
    public async Task Demo_FreshCertificateDirectory_ExitsZeroAndEveryTravellerGetsABsn()
    {
        var work = Directory.CreateTempSubdirectory("exgw-e2e-demo-").FullName;
        var certificates = Path.Combine(work, "certs");

        var result = await ProcessRunner.RunAsync("dotnet", [GatewayProcess.ExgwPath, "demo", "--certs", certificates, "--timeout", "90"],
            work, TimeSpan.FromSeconds(150));

        Assert.True(result.ExitCode == 0, $"exgw demo exited with {result.ExitCode}:\n{result.Output}");
        Assert.Contains("OK: every traveller", result.Output, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(certificates, "ca.crt")), "the demo should have generated its certificates in --certs");
        Directory.Delete(work, recursive: true);
    }
}
