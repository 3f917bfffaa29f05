using ExchangeGateway.EndToEnd.Fixtures;

namespace ExchangeGateway.EndToEnd;

/// <summary><c>exgw serve</c> outside development: no implicit trust.</summary>
public sealed class ServeCommandTests
{
    [Fact]
    public async Task Serve_WithoutDevAndWithoutConfiguredCertificates_RefusesToStart()
    {
        var work = Directory.CreateTempSubdirectory("exgw-e2e-serve-").FullName;

        var result = await ProcessRunner.RunAsync("dotnet", [GatewayProcess.ExgwPath, "serve", "--urls", "https://127.0.0.1:0"],
            work, TimeSpan.FromSeconds(60));

        Assert.Equal(2, result.ExitCode);
        foreach (var setting in new[] { "Gateway:Tls:CertificatePath", "Gateway:Tls:TrustAnchorsPath", "Gateway:OrganisationRegistryPath" })
        {
            Assert.Contains(setting, result.Output, StringComparison.Ordinal);
        }
        Assert.Empty(Directory.GetFiles(work, "*.db", SearchOption.AllDirectories));
        Directory.Delete(work, recursive: true);
    }
}
