using System.Net;
using System.Text.RegularExpressions;
using ExchangeGateway.Client.Connection;
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

        var result = await ChildProcess.RunAsync("dotnet", [GatewayProcess.ExgwPath, "demo", "--certs", certificates, "--timeout", "90"],
            work, TimeSpan.FromSeconds(150));

        Assert.True(result.ExitCode == 0, $"exgw demo exited with {result.ExitCode}:\n{result.Output}");
        Assert.Contains("OK: every traveller", result.Output, StringComparison.Ordinal);
        Assert.Matches(@"Dashboard: https://127\.0\.0\.1:\d+/", result.Output);
        Assert.True(File.Exists(Path.Combine(certificates, "ca.crt")), "the demo should have generated its certificates in --certs");
        Directory.Delete(work, recursive: true);
    }

    [Fact]
    public async Task Demo_KeepRunning_ServesTheDashboardUntilStopped()
    {
        var work = Directory.CreateTempSubdirectory("exgw-e2e-demo-").FullName;
        var certificates = Path.Combine(work, "certs");
        using var demo = ChildProcess.Start("dotnet", [GatewayProcess.ExgwPath, "demo", "--certs", certificates, "--timeout", "90", "--keep-running"], work);

        await Until.TrueAsync(() => Task.FromResult(demo.HasExited || demo.Output.Contains("stay up; Ctrl+C stops them", StringComparison.Ordinal)),
            () => "the demo finishes its run and stays up:\n" + demo.Output, TimeSpan.FromSeconds(150));
        Assert.False(demo.HasExited, demo.Output);
        var dashboard = new Uri(Regex.Match(demo.Output, @"Dashboard: (https://127\.0\.0\.1:\d+)/").Groups[1].Value);
        // The person's way in: the PKCS#12 file the demo wrote, with the password it printed.
        var browserCertificate = Path.Combine(certificates, "ketenregie.p12");
        Assert.Contains(browserCertificate, demo.Output, StringComparison.Ordinal);
        using var handler = GatewayChannel.CreateHandler(GatewayConnectionOptions.FromPfx(dashboard, browserCertificate, "demo", Path.Combine(certificates, "ca.crt")));
        handler.AllowAutoRedirect = false;
        using var browser = new HttpClient(handler) { BaseAddress = dashboard };
        using (var page = await browser.GetAsync("/"))
        {
            Assert.Equal(HttpStatusCode.Redirect, page.StatusCode);
        }
        Assert.Contains("Ketenregie", await browser.GetStringAsync("/aanmelden"), StringComparison.Ordinal);

        demo.Terminate();
        Assert.Equal(0, await demo.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Directory.Delete(work, recursive: true);
    }
}
