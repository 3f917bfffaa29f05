using System.Security.Cryptography.X509Certificates;
using ExchangeGateway.Contracts.V1;
using ExchangeGateway.Server.Hosting;
using ExchangeGateway.Server.Identity;
using ExchangeGateway.Tests.Fixtures;
using ExchangeGateway.Tests.Shared;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace ExchangeGateway.Tests.Identity;

/// <summary>CRLs and the organisation registry replaced on disk while the gateway runs: new calls
/// and open streams are judged by the new files within one reload interval (driven here by fake
/// time), without a restart. Each test has its own PKI, since it changes it.</summary>
public sealed class IdentityReloadTests : IAsyncLifetime
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);

    private readonly string _pki = Directory.CreateTempSubdirectory("exgw-reload-pki-").FullName;
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private readonly List<GrpcChannel> _channels = [];
    private GatewayHost _host = null!;

    public async Task InitializeAsync()
    {
        DevCertificateAuthority.Generate(_pki);
        _host = await GatewayHost.StartAsync(_time, configure: options =>
        {
            options.OrganisationRegistryPath = Path.Combine(_pki, DevCertificateAuthority.RegistryFile);
            options.Tls.TrustAnchorsPath = Path.Combine(_pki, DevCertificateAuthority.CaFile);
            options.Tls.CrlPaths.Add(Path.Combine(_pki, DevCertificateAuthority.CrlFile));
            options.FileReloadInterval = Interval;
        });
    }

    public async Task DisposeAsync()
    {
        foreach (var channel in _channels)
        {
            channel.Dispose();
        }
        await _host.DisposeAsync();
        Directory.Delete(_pki, recursive: true);
    }

    private X509Certificate2 Certificate(string organisationId) => X509Certificate2.CreateFromPemFile(
        DevCertificateAuthority.CertificatePath(_pki, organisationId), DevCertificateAuthority.KeyPath(_pki, organisationId));

    private GrpcChannel Channel(string organisationId)
    {
        var channel = _host.Channel(Certificate(organisationId));
        _channels.Add(channel);
        return channel;
    }

    private Task<FeedReader> OpenFeedAsync(string organisationId) => FeedReader.OpenAsync(new NoticeFeed.NoticeFeedClient(Channel(organisationId)));

    private async Task<Arrival> AnnounceAsync(string municipalityCode) =>
        (await new ArrivalService.ArrivalServiceClient(Channel("coa")).AnnounceArrivalAsync(new AnnounceArrivalRequest
        {
            RequestId = ArrivalSteps.NewRequestId(),
            Arrival = TestArrivals.Family(municipalityCode, time: _time),
        })).Arrival;

    private async Task<PingResponse> PingAsync(string organisationId) =>
        await new GatewayService.GatewayServiceClient(Channel(organisationId)).PingAsync(new PingRequest());

    /// <summary>Lets the reload interval pass on the fake clock until the reloader has looked.</summary>
    private async Task ReloadAsync(Func<Task<bool>> effect, string what) =>
        await Eventually.TrueAsync(async () =>
        {
            _time.Advance(Interval);
            return await effect();
        }, what);

    private static async Task<bool> RefusedAsync(Func<Task> call)
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

    private void Revoke(string organisationId) =>
        Assert.NotNull(DevCertificateAuthority.Revoke(_pki, DevCertificateAuthority.CertificatePath(_pki, organisationId)));

    [Fact]
    public async Task Reload_CertificateAddedToCrl_NewCallRefusedAsRevoked()
    {
        await PingAsync("gemeente-utrecht");

        Revoke("gemeente-utrecht");
        await ReloadAsync(() => RefusedAsync(() => PingAsync("gemeente-utrecht")), "the revoked certificate is refused");

        var error = await RpcAssert.ReasonAsync(StatusCode.Unauthenticated, "CLIENT_CERTIFICATE_REFUSED", () => PingAsync("gemeente-utrecht"));
        Assert.Contains("revoked", error.Status.Detail, StringComparison.Ordinal);
        Assert.Equal("coa", (await PingAsync("coa")).OrganisationId);
    }

    [Fact]
    public async Task Reload_CertificateAddedToCrl_ItsOpenStreamEndsAndOtherStreamsStayOpen()
    {
        await using var utrecht = await OpenFeedAsync("gemeente-utrecht");
        await using var amsterdam = await OpenFeedAsync("gemeente-amsterdam");

        Revoke("gemeente-utrecht");
        await ReloadAsync(() => RefusedAsync(() => PingAsync("gemeente-utrecht")), "the revoked certificate is refused");

        var ended = await utrecht.FailureAsync();
        Assert.Equal(StatusCode.Unauthenticated, ended.StatusCode);
        Assert.Contains("revoked", ended.Status.Detail, StringComparison.Ordinal);
        var arrival = await AnnounceAsync("0363");
        var notice = await amsterdam.NextNoticeAsync();
        Assert.Equal(arrival.ArrivalId, notice.Subject);
    }

    [Fact]
    public async Task Reload_OrganisationRemovedFromRegistry_ItsStreamEndsWithPermissionDeniedAndItsCallsAreRefused()
    {
        await using var groningen = await OpenFeedAsync("gemeente-groningen");
        await using var amsterdam = await OpenFeedAsync("gemeente-amsterdam");
        var registryPath = Path.Combine(_pki, DevCertificateAuthority.RegistryFile);

        new OrganisationRegistry(OrganisationRegistry.Load(registryPath).Organisations.Where(o => o.Id != "gemeente-groningen")).Save(registryPath);
        await ReloadAsync(() => RefusedAsync(() => PingAsync("gemeente-groningen")), "the removed organisation is refused");

        var ended = await groningen.FailureAsync();
        Assert.True(ended.StatusCode == StatusCode.PermissionDenied, ended.Status.ToString());
        await RpcAssert.ReasonAsync(StatusCode.PermissionDenied, "UNKNOWN_OIN", () => PingAsync("gemeente-groningen"));
        var arrival = await AnnounceAsync("0363");
        Assert.Equal(arrival.ArrivalId, (await amsterdam.NextNoticeAsync()).Subject);
    }

    [Fact]
    public async Task Reload_MunicipalityCodeMovedToAnotherOrganisation_StreamOnThatFeedEnds()
    {
        // Utrecht's code 0344 is now served by the shared BRP service; Utrecht keeps its OIN but no feed.
        await using var utrecht = await OpenFeedAsync("gemeente-utrecht");
        var registryPath = Path.Combine(_pki, DevCertificateAuthority.RegistryFile);
        var organisations = OrganisationRegistry.Load(registryPath).Organisations
            .Select(o => o.Id switch
            {
                "gemeente-utrecht" => o with { MunicipalityCodes = ["0345"] },
                "brp-drechtsteden" => o with { MunicipalityCodes = [.. o.MunicipalityCodes, "0344"] },
                _ => o,
            });

        new OrganisationRegistry(organisations).Save(registryPath);
        await ReloadAsync(async () => (await PingAsync("gemeente-utrecht")).Feeds.Contains("municipality:0345"), "the new registry is in effect");

        var ended = await utrecht.FailureAsync();
        Assert.True(ended.StatusCode == StatusCode.PermissionDenied, ended.Status.ToString());
    }

    [Fact]
    public async Task Reload_NewOrganisationIssuedAndRegistered_CanCallWithoutRestart()
    {
        var oin = DevCertificateAuthority.TestOin(772);
        DevCertificateAuthority.IssueClient(_pki, "gemeente-nieuw", "Gemeente Nieuw", oin);
        await RpcAssert.ReasonAsync(StatusCode.PermissionDenied, "UNKNOWN_OIN", () => PingAsync("gemeente-nieuw"));
        var registryPath = Path.Combine(_pki, DevCertificateAuthority.RegistryFile);

        new OrganisationRegistry([.. OrganisationRegistry.Load(registryPath).Organisations,
            new Organisation("gemeente-nieuw", "Gemeente Nieuw", OrganisationRole.Municipality, [oin], ["0772"])]).Save(registryPath);

        await ReloadAsync(async () => !await RefusedAsync(() => PingAsync("gemeente-nieuw")), "the new organisation is admitted");
        Assert.Equal("gemeente-nieuw", (await PingAsync("gemeente-nieuw")).OrganisationId);
    }

    [Fact]
    public async Task Reload_InvalidRegistryWritten_LastGoodRegistryStaysAndStreamsStayOpen()
    {
        await using var amsterdam = await OpenFeedAsync("gemeente-amsterdam");
        var reloader = _host.Services.GetRequiredService<FileReloader>();

        await File.WriteAllTextAsync(Path.Combine(_pki, DevCertificateAuthority.RegistryFile), """{ "organisations": [ { "id": "half" """);

        Assert.False(reloader.PollOnce());
        Assert.Equal("gemeente-amsterdam", (await PingAsync("gemeente-amsterdam")).OrganisationId);
        var arrival = await AnnounceAsync("0363");
        Assert.Equal(arrival.ArrivalId, (await amsterdam.NextNoticeAsync()).Subject);
    }

    [Fact]
    public async Task Reload_CrlNotSignedByAnAnchor_IsIgnoredAndNobodyIsRevoked()
    {
        var reloader = _host.Services.GetRequiredService<FileReloader>();
        using var foreign = DevCertificateAuthority.LoadCa(TestPki.ForeignDirectory);
        using var utrecht = X509Certificate2.CreateFromPem(File.ReadAllText(DevCertificateAuthority.CertificatePath(_pki, "gemeente-utrecht")));

        await File.WriteAllTextAsync(Path.Combine(_pki, DevCertificateAuthority.CrlFile), TestCrls.Pem(TestCrls.Build(foreign, utrecht)));

        Assert.False(reloader.PollOnce());
        Assert.Equal("gemeente-utrecht", (await PingAsync("gemeente-utrecht")).OrganisationId);
    }
}
