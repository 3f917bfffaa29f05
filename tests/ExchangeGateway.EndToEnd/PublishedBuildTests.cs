using System.Text.RegularExpressions;
using ExchangeGateway.Client;
using ExchangeGateway.Client.Connection;
using ExchangeGateway.EndToEnd.Fixtures;
using ExchangeGateway.Server.Audit;
using ExchangeGateway.Server.Identity;
using ExchangeGateway.Tests.Shared;
using Xunit.Abstractions;

namespace ExchangeGateway.EndToEnd;

/// <summary>The artefact operators run, run as the README's systemd unit runs it: <c>dotnet publish</c>
/// in Release, started from a folder it cannot write to, as an unprivileged user (nobody, when the
/// test runs as root, as CI does), with certificates and keys in a directory of their own and the data
/// in PostgreSQL; nothing in <c>--dev</c>. It must start, report ready, and take an announcement.</summary>
public sealed partial class PublishedBuildTests(PostgresServer postgres, ITestOutputHelper output) : IClassFixture<PostgresServer>
{
    private static readonly TimeSpan PublishTimeout = TimeSpan.FromMinutes(6);
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task PublishedGateway_ReadOnlyFolderUnprivilegedUserPostgres_StartsReadyAndAnnounces()
    {
        var root = TestRepository.Root();
        var work = Directory.CreateTempSubdirectory("exgw-published-").FullName;
        var app = Path.Combine(work, "app");
        var publish = await ChildProcess.RunAsync(ChildProcess.FindOnPath("dotnet")!,
            ["publish", Path.Combine(root, "src", "ExchangeGateway.Cli"), "-c", "Release", "-o", app], root, PublishTimeout);
        Assert.True(publish.ExitCode == 0, "dotnet publish:\n" + publish.Output);

        var etc = Directory.CreateDirectory(Path.Combine(work, "etc")).FullName;
        foreach (var file in new[] { DevCertificateAuthority.CaFile, DevCertificateAuthority.RegistryFile, "server.crt", "server.key" })
        {
            File.Copy(Path.Combine(TestPki.Directory, file), Path.Combine(etc, file));
        }
        AuditKey.CreateFileIfMissing(Path.Combine(etc, "audit.key"));
        await postgres.CreateDatabaseAsync("published");

        var asRoot = Environment.UserName == "root";
        // The service user reads its configuration and keys; nobody may write the application folder.
        await ShellAsync("chmod", "755", work);
        await ShellAsync("chmod", "-R", "a-w,a+rX", app);
        if (asRoot)
        {
            await ShellAsync("chown", "-R", "nobody", etc);
        }
        await ShellAsync("chmod", "700", etc);
        string[] serve =
        [
            "dotnet", Path.Combine(app, "exgw.dll"), "serve",
            "--urls", "https://127.0.0.1:0",
            "--Gateway:Management:Urls=http://127.0.0.1:0",
            "--Gateway:Storage:Provider=PostgreSql",
            "--Gateway:Storage:ConnectionString=" + postgres.ConnectionString("published"),
            $"--Gateway:Tls:CertificatePath={etc}/server.crt",
            $"--Gateway:Tls:KeyPath={etc}/server.key",
            $"--Gateway:Tls:TrustAnchorsPath={etc}/{DevCertificateAuthority.CaFile}",
            $"--Gateway:OrganisationRegistryPath={etc}/{DevCertificateAuthority.RegistryFile}",
            $"--Gateway:Audit:KeyPath={etc}/audit.key",
        ];
        output.WriteLine(asRoot ? "running as nobody" : $"running as {Environment.UserName} (not root: no user to switch to)");
        using var gateway = asRoot
            ? ChildProcess.Start("runuser", ["-u", "nobody", "--", .. serve], app)
            : ChildProcess.Start(serve[0], serve[1..], app);

        var address = await ListeningAsync(gateway);
        using var http = new HttpClient();
        var management = new Uri(ManagementAddress().Match(gateway.Output).Value);
        Assert.Equal("ready", (await http.GetStringAsync(new Uri(management, "/readyz"))).Split('\n')[0]);
        using var coa = new GatewayClient(GatewayConnectionOptions.FromPem(address,
            Path.Combine(TestPki.Directory, "coa.crt"), Path.Combine(TestPki.Directory, "coa.key"), Path.Combine(TestPki.Directory, DevCertificateAuthority.CaFile)));
        var arrival = await coa.AnnounceArrivalAsync(TestArrivals.Family("0363"));
        Assert.Equal(arrival.ArrivalId, (await coa.GetArrivalAsync(arrival.ArrivalId)).ArrivalId);
        Assert.False(File.Exists(Path.Combine(app, "exchange-gateway.db")), "the published build wrote into its own folder");

        gateway.Kill();
        await ShellAsync("chmod", "-R", "u+w", app);
        Directory.Delete(work, recursive: true);
    }

    private static async Task<Uri> ListeningAsync(ChildProcess gateway)
    {
        await Until.TrueAsync(() =>
        {
            Assert.False(gateway.HasExited, "The published gateway exited:\n" + gateway.Output);
            return Task.FromResult(ListenAddress().IsMatch(gateway.Output));
        }, () => "the published gateway listening:\n" + gateway.Output, StartTimeout);
        return new Uri(ListenAddress().Match(gateway.Output).Groups[1].Value);
    }

    private static async Task ShellAsync(string command, params string[] arguments)
    {
        var result = await ChildProcess.RunAsync(command, arguments, Path.GetTempPath(), TimeSpan.FromSeconds(30));
        Assert.True(result.ExitCode == 0, $"{command} {string.Join(' ', arguments)}:\n{result.Output}");
    }

    [GeneratedRegex(@"Exchange gateway listening on (https://[^\s,]+)")]
    private static partial Regex ListenAddress();

    [GeneratedRegex(@"(?<=Management listener on )http://[^\s,]+")]
    private static partial Regex ManagementAddress();
}
