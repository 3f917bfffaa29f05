using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using ExchangeGateway.Client.Feed;
using ExchangeGateway.EndToEnd.Fixtures;
using ExchangeGateway.Server.Identity;
using ExchangeGateway.Tests.Shared;
using Grpc.Core;

namespace ExchangeGateway.EndToEnd;

/// <summary>Rotation and revocation on a running <c>exgw serve</c>: files replaced on disk take effect
/// within the reload interval (200 ms here), over real Kestrel and mutual TLS, without a restart.
/// Each test has its own PKI and gateway, since it changes them.</summary>
public sealed class CertificateReloadTests : IAsyncLifetime
{
    private const string Announced = "nl.asielketen.aankomst-aangekondigd";

    private readonly string _pki = Directory.CreateTempSubdirectory("exgw-e2e-reload-pki-").FullName;
    private GatewayProcess _gateway = null!;

    public async Task InitializeAsync()
    {
        DevCertificateAuthority.Generate(_pki);
        _gateway = await TestGateway.StartAsync(_pki, arguments: ["--Gateway:FileReloadInterval=00:00:00.200"]);
    }

    public async Task DisposeAsync()
    {
        await _gateway.DisposeAsync();
        Directory.Delete(_pki, recursive: true);
    }

    private X509Certificate2 Certificate(string name) => X509Certificate2.CreateFromPemFile(
        DevCertificateAuthority.CertificatePath(_pki, name), DevCertificateAuthority.KeyPath(_pki, name));

    private Task<ProcessResult> ExgwAsync(params string[] arguments) =>
        ChildProcess.RunAsync("dotnet", [GatewayProcess.ExgwPath, .. arguments], _pki, TimeSpan.FromSeconds(60));

    private static async Task<bool> FailsAsync(Func<Task> call)
    {
        try
        {
            await call();
            return false;
        }
        catch (RpcException)
        {
            return true;
        }
    }

    [Fact]
    public async Task Serve_ServerCertificateReplacedOnDisk_NewConnectionPresentsTheNewCertificate()
    {
        using var coaCertificate = Certificate("coa");
        var before = (await TlsProbe.ConnectAsync(_gateway.Address, coaCertificate)).ServerCertificate;
        using var coa = _gateway.ClientFor("coa");
        await coa.PingAsync();

        // A renewed certificate (new key) written aside and moved over the old files, key first, as an
        // operator or a certificate manager would; between the two moves the pair does not match and
        // the gateway keeps the old one.
        var staging = Directory.CreateTempSubdirectory("exgw-e2e-renewed-").FullName;
        using (var ca = DevCertificateAuthority.LoadCa(_pki))
        {
            var san = new SubjectAlternativeNameBuilder();
            san.AddDnsName("localhost");
            san.AddIpAddress(IPAddress.Loopback);
            DevCertificateAuthority.Issue(staging, DevCertificateAuthority.ServerName, ca,
                new X500DistinguishedName("CN=localhost, O=ExchangeGateway renewed, C=NL"), "1.3.6.1.5.5.7.3.1", san.Build(), DateTimeOffset.UtcNow.AddMinutes(-1));
        }
        File.Move(DevCertificateAuthority.KeyPath(staging, DevCertificateAuthority.ServerName), DevCertificateAuthority.KeyPath(_pki, DevCertificateAuthority.ServerName), overwrite: true);
        File.Move(DevCertificateAuthority.CertificatePath(staging, DevCertificateAuthority.ServerName), DevCertificateAuthority.CertificatePath(_pki, DevCertificateAuthority.ServerName), overwrite: true);
        using var renewed = X509Certificate2.CreateFromPem(File.ReadAllText(DevCertificateAuthority.CertificatePath(_pki, DevCertificateAuthority.ServerName)));
        Assert.NotEqual(before.Thumbprint, renewed.Thumbprint);

        await Until.TrueAsync(async () => (await TlsProbe.ConnectAsync(_gateway.Address, coaCertificate)).ServerCertificate.Thumbprint == renewed.Thumbprint,
            "a new connection presents the renewed server certificate\n" + _gateway.RecentOutput);

        // Existing connections go on; new SDK clients (same CA) connect to the renewed certificate.
        Assert.Equal("coa", (await coa.PingAsync()).OrganisationId);
        using var ind = _gateway.ClientFor("ind");
        Assert.Equal("ind", (await ind.PingAsync()).OrganisationId);
        Directory.Delete(staging, recursive: true);
    }

    [Fact]
    public async Task Serve_ClientRevokedWithExgwCertsRevoke_ItsCallsAndStreamEndWhileOtherStreamsStayOpen()
    {
        using var coa = _gateway.ClientFor("coa");
        using var utrecht = _gateway.ClientFor("gemeente-utrecht");
        using var amsterdam = _gateway.ClientFor("gemeente-amsterdam");
        await using var utrechtFeed = new FeedProbe(utrecht);
        await using var amsterdamFeed = new FeedProbe(amsterdam, acknowledgeEverything: true);
        await utrechtFeed.OpenedAsync();
        await amsterdamFeed.OpenedAsync();
        Assert.Equal("gemeente-utrecht", (await utrecht.PingAsync()).OrganisationId);

        var revoke = await ExgwAsync("certs", "revoke", DevCertificateAuthority.CertificatePath(_pki, "gemeente-utrecht"), "--dir", _pki);
        Assert.True(revoke.ExitCode == 0, revoke.Output);
        Assert.Contains("Revoked serial", revoke.Output, StringComparison.Ordinal);

        // (b) its open stream is ended, with the reason.
        var ended = await Assert.ThrowsAsync<RpcException>(() => utrechtFeed.NextAsync());
        Assert.Equal(StatusCode.Unauthenticated, ended.StatusCode);
        Assert.Contains("revoked", ended.Status.Detail, StringComparison.Ordinal);
        // (a) a new call on its existing connection is refused, and so is a new connection.
        var refused = await Assert.ThrowsAsync<RpcException>(() => utrecht.PingAsync());
        Assert.Equal(StatusCode.Unauthenticated, refused.StatusCode);
        using var utrechtCertificate = Certificate("gemeente-utrecht");
        GrpcProbe.AssertCertificateRefused(await GrpcProbe.PingAsync(_gateway.Address, utrechtCertificate), "revoked");
        // (c) another client's stream stayed open: same connection, and it still receives.
        var arrival = await coa.AnnounceArrivalAsync(TestArrivals.Family("0363", travellers: 1));
        await amsterdamFeed.WaitForAsync(Announced, arrival.ArrivalId);
        Assert.Equal(1, amsterdamFeed.Subscriber.Connections);
        await Until.TrueAsync(() => Task.FromResult(_gateway.RecentOutput.Contains("certificate is revoked", StringComparison.Ordinal)),
            () => "the revocation logged:\n" + _gateway.RecentOutput);
    }

    [Fact]
    public async Task Serve_OrganisationRemovedFromRegistryFile_ItsStreamEndsWhileOthersStayOpen()
    {
        using var coa = _gateway.ClientFor("coa");
        using var groningen = _gateway.ClientFor("gemeente-groningen");
        using var amsterdam = _gateway.ClientFor("gemeente-amsterdam");
        await using var groningenFeed = new FeedProbe(groningen);
        await using var amsterdamFeed = new FeedProbe(amsterdam, acknowledgeEverything: true);
        await groningenFeed.OpenedAsync();
        await amsterdamFeed.OpenedAsync();
        var registryPath = Path.Combine(_pki, DevCertificateAuthority.RegistryFile);

        new OrganisationRegistry(OrganisationRegistry.Load(registryPath).Organisations.Where(o => o.Id != "gemeente-groningen")).Save(registryPath);

        var ended = await Assert.ThrowsAsync<RpcException>(() => groningenFeed.NextAsync());
        Assert.Equal(StatusCode.PermissionDenied, ended.StatusCode);
        Assert.True(await FailsAsync(() => groningen.PingAsync()));
        var arrival = await coa.AnnounceArrivalAsync(TestArrivals.Family("0363", travellers: 1));
        await amsterdamFeed.WaitForAsync(Announced, arrival.ArrivalId);
        Assert.Equal(1, amsterdamFeed.Subscriber.Connections);
    }

    [Fact]
    public async Task Serve_OrganisationIssuedAndRegisteredWithExgwCertsIssue_IsAdmittedWithoutRestart()
    {
        var oin = DevCertificateAuthority.TestOin(772);

        var issue = await ExgwAsync("certs", "issue", "--org", "gemeente-nieuw", "--name", "Gemeente Nieuw", "--oin", oin,
            "--role", "Municipality", "--municipality", "0772", "--register", "--dir", _pki);

        Assert.True(issue.ExitCode == 0, issue.Output);
        Assert.Contains("\"municipalityCodes\"", issue.Output, StringComparison.Ordinal);
        using var nieuw = _gateway.ClientFor("gemeente-nieuw");
        await Until.TrueAsync(async () => !await FailsAsync(() => nieuw.PingAsync()), "the new organisation is admitted\n" + _gateway.RecentOutput);
        var ping = await nieuw.PingAsync();
        Assert.Equal(["municipality:0772"], ping.Feeds);
        await using var feed = new FeedProbe(nieuw, new SubscriptionOptions());
        Assert.Equal("municipality:0772", (await feed.OpenedAsync()).Feed);
    }
}
