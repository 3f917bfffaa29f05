using ExchangeGateway.Tests.Shared;
using System.IO.Compression;
using System.Xml.Linq;
using ExchangeGateway.EndToEnd.Fixtures;
using ExchangeGateway.Server.Identity;

namespace ExchangeGateway.EndToEnd;

/// <summary>The SDK and the contracts as an integrator gets them: <c>dotnet pack</c> of the solution,
/// consumed by a scratch project outside this repository (no project reference, none of its build
/// settings) that calls a running gateway.</summary>
public sealed class PackagesTests(GatewayProcessFixture fixture) : IClassFixture<GatewayProcessFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(4);

    [Fact]
    public async Task PackedSdk_ScratchProjectReferencesIt_PingsTheGatewayAsCoa()
    {
        var root = TestRepository.Root();
        var work = Directory.CreateTempSubdirectory("exgw-packages-").FullName;
        var feed = Directory.CreateDirectory(Path.Combine(work, "feed")).FullName;
        // A version of its own per run: the machine's package cache never serves an older build.
        var version = $"{ProductVersion(root)}.test{DateTime.UtcNow:yyyyMMddHHmmss}";
        var dotnet = ChildProcess.FindOnPath("dotnet")!;

        var pack = await ChildProcess.RunAsync(dotnet, ["pack", Path.Combine(root, "ExchangeGateway.sln"), "-c", "Debug", "--no-build", "-o", feed, $"-p:PackageVersion={version}"], root, Timeout);
        Assert.True(pack.ExitCode == 0, "dotnet pack:\n" + pack.Output);
        Assert.Equal(["ExchangeGateway.Client", "ExchangeGateway.Contracts"], Directory.GetFiles(feed, "*.nupkg").Select(f => Path.GetFileName(f).Split(".1.")[0]).Order());
        using (var contracts = ZipFile.OpenRead(Directory.GetFiles(feed, "ExchangeGateway.Contracts.*.nupkg").Single()))
        {
            var entries = contracts.Entries.Select(e => e.FullName).ToList();
            Assert.Contains("protos/exchange/v1/arrivals.proto", entries);
            Assert.Contains("protos/google/rpc/error_details.proto", entries);
            var nuspec = XDocument.Load(contracts.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal)).Open());
            Assert.Equal("EUPL-1.2", nuspec.Descendants().Single(e => e.Name.LocalName == "license").Value);
        }

        var scratch = Directory.CreateDirectory(Path.Combine(work, "scratch")).FullName;
        await File.WriteAllTextAsync(Path.Combine(scratch, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <add key="exchange-gateway-local" value="{feed}" />
              </packageSources>
            </configuration>
            """);
        await File.WriteAllTextAsync(Path.Combine(scratch, "Scratch.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <ImplicitUsings>enable</ImplicitUsings>
                <Nullable>enable</Nullable>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="ExchangeGateway.Client" Version="{version}" />
              </ItemGroup>
            </Project>
            """);
        await File.WriteAllTextAsync(Path.Combine(scratch, "Program.cs"), """
            using ExchangeGateway.Client;
            using ExchangeGateway.Client.Connection;
            using ExchangeGateway.Contracts.V1;

            using var client = new GatewayClient(GatewayConnectionOptions.FromPem(new Uri(args[0]), args[1], args[2], args[3]));
            PingResponse pong = await client.PingAsync();
            Console.WriteLine($"scratch: {pong.OrganisationId} {pong.Role}");
            """);
        var certificates = fixture.Gateway.CertificatesDirectory;

        var run = await ChildProcess.RunAsync(dotnet,
        [
            "run", "--project", scratch, "--",
            fixture.Gateway.Address.ToString(),
            DevCertificateAuthority.CertificatePath(certificates, "coa"),
            DevCertificateAuthority.KeyPath(certificates, "coa"),
            Path.Combine(certificates, DevCertificateAuthority.CaFile),
        ], scratch, Timeout);

        Assert.True(run.ExitCode == 0, "dotnet run of the scratch project:\n" + run.Output);
        Assert.Contains("scratch: coa Coa", run.Output, StringComparison.Ordinal);
        Directory.Delete(work, recursive: true);
    }

    private static string ProductVersion(string root) =>
        XDocument.Load(Path.Combine(root, "Directory.Build.props")).Descendants("Version").Single().Value;
}
