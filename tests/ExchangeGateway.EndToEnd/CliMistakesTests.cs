using ExchangeGateway.Contracts.V1;
using ExchangeGateway.EndToEnd.Fixtures;
using ExchangeGateway.Server.Identity;
using ExchangeGateway.Tests.Shared;
using Google.Protobuf;

namespace ExchangeGateway.EndToEnd;

/// <summary>A person's mistakes at the real <c>exgw</c> command line: each is answered with one line
/// naming what to fix and a non-zero exit code, never a stack trace, and leaves nothing behind.</summary>
public sealed class CliMistakesTests(GatewayProcessFixture fixture) : IClassFixture<GatewayProcessFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    public static TheoryData<string[], string> Mistakes => new()
    {
        { ["serve", "--dev", "--certs", "/proc/exgw-nope", "--urls", "https://127.0.0.1:0", "--Gateway:Management:Urls="], "cannot create the development certificates in /proc/exgw-nope (--certs)" },
        { ["audit", "--db", "missing.db"], "no database at" },
        { ["audit", "--db", "present.db", "--key", "missing.key"], "no audit key at" },
        { ["audit", "--db", "present.db", "--key", "present.key", "--subject", "12345"], "--subject '12345' is neither a BSN" },
        { ["announce", "--file", "missing.jsonl"], "no file at" },
        { ["announce"], "give --file to announce, --status to show the outbox, or --retry-parked" },
        { ["announce", "--status"], "no outbox at" },
        { ["announce", "--retry-parked", "--max-failures", "0"], "--max-failures must be at least 1" },
        { ["announce", "--file", "not-json.jsonl"], "not-json.jsonl line 2 is not an AnnounceArrivalRequest in protobuf JSON" },
        { ["announce", "--file", "arrivals.jsonl", "--address", "http://127.0.0.1:5443"], "'http://127.0.0.1:5443' is not an https:// address (--address)" },
        { ["announce", "--file", "arrivals.jsonl", "--cert", "missing.crt"], "cannot load the certificates" },
        { ["status", "--cert", "missing.crt"], "cannot load the certificates" },
        { ["webhooks", "--cert", "missing.crt"], "cannot load the certificates" },
    };

    [Theory]
    [MemberData(nameof(Mistakes))]
    public async Task Command_UserMistake_OneLineNamingItAndNonZeroExit(string[] arguments, string expected)
    {
        var work = Workspace();

        var result = await ChildProcess.RunAsync("dotnet", [GatewayProcess.ExgwPath, .. arguments], work, Timeout);

        Assert.NotEqual(0, result.ExitCode);
        var lines = result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.True(lines.Length == 1, "Expected one line, got:\n" + result.Output);
        Assert.Contains(expected, lines[0], StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(work, "coa-outbox.db")), "a refused announce left an outbox behind");
        Directory.Delete(work, recursive: true);
    }

    [Fact]
    public async Task Status_GatewayNotRunning_NamesTheAddressItTried()
    {
        var work = Workspace();
        var address = $"https://127.0.0.1:{GatewayProcess.FreePort()}";

        var result = await ChildProcess.RunAsync("dotnet", [GatewayProcess.ExgwPath, "status", .. Certificates("ketenregie"), "--address", address], work, Timeout);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"exgw status: cannot reach the gateway at {address}", result.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WebhooksRetry_FeedWithoutSubscription_OneLineSayingSo()
    {
        var work = Workspace();

        var result = await ChildProcess.RunAsync("dotnet",
            [GatewayProcess.ExgwPath, "webhooks", "retry", "municipality:0363", .. Certificates("ketenregie"), "--address", fixture.Gateway.Address.ToString()], work, Timeout);

        Assert.Equal(1, result.ExitCode);
        var lines = result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.True(lines.Length == 1, "Expected one line, got:\n" + result.Output);
        Assert.Contains("NotFound: No webhook subscription delivers feed 'municipality:0363'", lines[0], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Webhooks_RegistryWithout_SaysHowToAddOne()
    {
        var work = Workspace();

        var result = await ChildProcess.RunAsync("dotnet",
            [GatewayProcess.ExgwPath, "webhooks", .. Certificates("ketenregie"), "--address", fixture.Gateway.Address.ToString()], work, Timeout);

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("No webhook subscription", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Announce_ArrivalTheGatewayRefuses_PrintsItWithTheReason()
    {
        var work = Workspace();
        var refused = TestArrivals.Family("0363");
        refused.Travellers[0].VNumber = "12345";
        var requests = new[]
        {
            new AnnounceArrivalRequest { RequestId = "cli-ok-" + Guid.NewGuid().ToString("N")[..8], Arrival = TestArrivals.Family("0344") },
            new AnnounceArrivalRequest { RequestId = "cli-refused-" + Guid.NewGuid().ToString("N")[..8], Arrival = refused },
        };
        var file = Path.Combine(work, "mixed.jsonl");
        await File.WriteAllLinesAsync(file, requests.Select(r => JsonFormatter.Default.Format(r)));

        var result = await ChildProcess.RunAsync("dotnet",
            [GatewayProcess.ExgwPath, "announce", "--file", file, "--address", fixture.Gateway.Address.ToString(), .. Certificates("coa")], work, Timeout);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"parked {requests[1].RequestId}: InvalidArgument:", result.Output, StringComparison.Ordinal);
        Assert.Contains("done: 1 confirmed, 1 parked (mend the cause, then exgw announce --retry-parked).", result.Output, StringComparison.Ordinal);

        var status = await ChildProcess.RunAsync("dotnet", [GatewayProcess.ExgwPath, "announce", "--status", "--address", fixture.Gateway.Address.ToString(), .. Certificates("coa")], work, Timeout);
        Assert.Equal(1, status.ExitCode);
        Assert.Contains("pending 0, confirmed 1, parked 1", status.Output, StringComparison.Ordinal);
        Assert.Contains($"parked {requests[1].RequestId} at ", status.Output, StringComparison.Ordinal);
        Assert.Contains("after 1 attempt(s): InvalidArgument:", status.Output, StringComparison.Ordinal);

        // Sent again with its request_id, refused again for the same reason: parked once more, nothing else announced.
        var retried = await ChildProcess.RunAsync("dotnet", [GatewayProcess.ExgwPath, "announce", "--retry-parked", "--address", fixture.Gateway.Address.ToString(), .. Certificates("coa")], work, Timeout);
        Assert.Equal(1, retried.ExitCode);
        Assert.Contains("1 parked announcement(s) back in the queue.", retried.Output, StringComparison.Ordinal);
        Assert.Contains("done: 1 confirmed, 1 parked", retried.Output, StringComparison.Ordinal);
        Directory.Delete(work, recursive: true);
    }

    [Fact]
    public async Task CertsIssueHelp_Roles_OffersOnlyTheRolesAnOrganisationMayHave()
    {
        var result = await ChildProcess.RunAsync("dotnet", [GatewayProcess.ExgwPath, "certs", "issue", "--help"], Workspace(), Timeout);

        Assert.Equal(0, result.ExitCode);
        var role = result.Output.Split('\n').Single(l => l.TrimStart().StartsWith("--role", StringComparison.Ordinal));
        Assert.DoesNotContain("Gateway", role, StringComparison.Ordinal);
        foreach (var name in new[] { "Coa", "Ind", "ChainCoordination", "Municipality" })
        {
            Assert.Contains(name, role, StringComparison.Ordinal);
        }
    }

    private string[] Certificates(string organisation) =>
    [
        "--cert", DevCertificateAuthority.CertificatePath(fixture.Gateway.CertificatesDirectory, organisation),
        "--key", DevCertificateAuthority.KeyPath(fixture.Gateway.CertificatesDirectory, organisation),
        "--ca", Path.Combine(fixture.Gateway.CertificatesDirectory, DevCertificateAuthority.CaFile),
    ];

    /// <summary>A working directory with the files the mistakes refer to: a database and key that
    /// exist, a good announcement file and one whose second line is not JSON.</summary>
    private static string Workspace()
    {
        var work = Directory.CreateTempSubdirectory("exgw-e2e-cli-").FullName;
        File.WriteAllBytes(Path.Combine(work, "present.db"), []);
        File.WriteAllText(Path.Combine(work, "present.key"), "");
        var line = JsonFormatter.Default.Format(new AnnounceArrivalRequest { RequestId = "cli-1", Arrival = TestArrivals.Family("0363") });
        File.WriteAllLines(Path.Combine(work, "arrivals.jsonl"), [line]);
        File.WriteAllLines(Path.Combine(work, "not-json.jsonl"), [line, "{ this is not json"]);
        return work;
    }
}
