using ExchangeGateway.EndToEnd.Fixtures;
using ExchangeGateway.Tests.Shared;

namespace ExchangeGateway.EndToEnd;

/// <summary><c>exgw serve</c> outside development: no implicit trust; and settings checked before it starts.</summary>
public sealed class ServeCommandTests
{
    [Fact]
    public async Task Serve_WithoutDevAndWithoutConfiguredCertificates_RefusesToStart()
    {
        var work = Directory.CreateTempSubdirectory("exgw-e2e-serve-").FullName;

        var result = await ChildProcess.RunAsync("dotnet", [GatewayProcess.ExgwPath, "serve", "--urls", "https://127.0.0.1:0", "--Gateway:Management:Urls=http://127.0.0.1:0"],
            work, TimeSpan.FromSeconds(60));

        Assert.Equal(2, result.ExitCode);
        foreach (var setting in new[] { "Gateway:Tls:CertificatePath", "Gateway:Tls:TrustAnchorsPath", "Gateway:OrganisationRegistryPath" })
        {
            Assert.Contains(setting, result.Output, StringComparison.Ordinal);
        }
        Assert.Empty(Directory.GetFiles(work, "*.db", SearchOption.AllDirectories));
        Directory.Delete(work, recursive: true);
    }

    [Theory]
    [InlineData("--Gateway:MaxWriteBatch=0", "Gateway:MaxWriteBatch must be at least 1 (is 0)")]
    [InlineData("--Gateway:AcknowledgementDeadline=-01:00:00", "Gateway:AcknowledgementDeadline must be a positive duration")]
    [InlineData("--Gateway:DefaultStreamWindow=2000", "Gateway:DefaultStreamWindow (2000) must not exceed Gateway:MaxStreamWindow (1000)")]
    [InlineData("--Gateway:Retention:BatchSize=0", "Gateway:Retention:BatchSize must be at least 1 (is 0)")]
    [InlineData("--Gateway:Rules:HouseholdWithConsent=1", "Gateway:Rules:HouseholdWithConsent (1) must be at least Gateway:Rules:HouseholdWithoutConsent (2)")]
    [InlineData("--Gateway:MunicipalityTablePath=/nonexistent/table.csv", "Gateway:MunicipalityTablePath: no readable file at /nonexistent/table.csv")]
    [InlineData("--Gateway:Management:Urls=https://127.0.0.1:0", "Gateway:Management:Urls: 'https://127.0.0.1:0' is not an http:// address")]
    [InlineData("--Gateway:RedeliveryTimeout=banana", "Gateway:RedeliveryTimeout")]
    [InlineData("--Gateway:Dashboard:Urls=http://127.0.0.1:5480", "Gateway:Dashboard:Urls: 'http://127.0.0.1:5480' is not an https:// address with a port of its own")]
    [InlineData("--Gateway:Dashboard:Urls=https://127.0.0.1:0", "Gateway:Dashboard:Urls: 'https://127.0.0.1:0' is not an https:// address with a port of its own")]
    [InlineData("--Gateway:Dashboard:PresenceInterval=60.00:00:00", "Gateway:Dashboard:PresenceInterval must be a positive duration of at most 30.00:00:00 (is 60.00:00:00)")]
    public async Task Serve_InvalidSetting_ExitsTwoWithOneLineNamingIt(string setting, string expected)
    {
        await AssertRefusedAsync(["--urls", "https://127.0.0.1:0", setting], expected);
    }

    [Fact]
    public async Task Serve_DashboardOnTheGatewaysPort_ExitsTwoSayingItNeedsItsOwn()
    {
        var port = GatewayProcess.FreePort();
        await AssertRefusedAsync(["--urls", $"https://127.0.0.1:{port}", $"--Gateway:Dashboard:Urls=https://127.0.0.1:{port}"],
            $"Refusing to start: port {port} is in both the gateway's addresses (--urls) and Gateway:Dashboard:Urls; the dashboard needs a port of its own.");
    }

    private static async Task AssertRefusedAsync(string[] arguments, string expected)
    {
        var work = Directory.CreateTempSubdirectory("exgw-e2e-serve-").FullName;

        var result = await ChildProcess.RunAsync("dotnet",
            [GatewayProcess.ExgwPath, "serve", "--dev", "--certs", TestPki.Directory, "--Gateway:Management:Urls=http://127.0.0.1:0", .. arguments],
            work, TimeSpan.FromSeconds(60));

        Assert.Equal(2, result.ExitCode);
        Assert.Contains(expected, result.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("Exchange gateway listening", result.Output, StringComparison.Ordinal);
        Directory.Delete(work, recursive: true);
    }

    [Fact]
    public async Task Serve_Dev_RunsInTheDevelopmentEnvironment()
    {
        await using var gateway = await TestGateway.StartAsync();

        // It logged "Hosting environment: Production" with --dev before. The console logger writes from a
        // queue of its own, so the line may come after the gateway said it listens.
        await Until.TrueAsync(() => Task.FromResult(gateway.RecentOutput.Contains("Hosting environment: Development", StringComparison.Ordinal)),
            () => "the development environment logged:\n" + gateway.RecentOutput);
    }
}
