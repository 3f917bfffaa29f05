using System.Security.Cryptography.X509Certificates;
using ExchangeGateway.Contracts.V1;
using ExchangeGateway.Server.Identity;
using ExchangeGateway.Tests.Fixtures;
using ExchangeGateway.Tests.Shared;
using Grpc.Core;
using Microsoft.EntityFrameworkCore;

namespace ExchangeGateway.Tests.Identity;

/// <summary>Who is calling is decided by the client certificate alone: it must chain to the configured
/// CA, allow client authentication, be valid now and carry a registered OIN.</summary>
public sealed class CallerResolverTests(GatewayHostFixture fixture) : IClassFixture<GatewayHostFixture>
{
    private const string ClientAuthentication = "1.3.6.1.5.5.7.3.2";

    private GatewayHost Host => fixture.Host;

    /// <summary>A certificate signed by the gateway's trusted development CA.</summary>
    private static X509Certificate2 Issue(X500DistinguishedName subject, DateTimeOffset? from = null, DateTimeOffset? until = null)
    {
        var directory = Directory.CreateTempSubdirectory("exgw-test-cert-").FullName;
        using var ca = DevCertificateAuthority.LoadCa(TestPki.Directory);
        DevCertificateAuthority.Issue(directory, "client", ca, subject, ClientAuthentication, null, from ?? DateTimeOffset.UtcNow.AddMinutes(-5), until);
        return X509Certificate2.CreateFromPemFile(DevCertificateAuthority.CertificatePath(directory, "client"), DevCertificateAuthority.KeyPath(directory, "client"));
    }

    private async Task<RpcException> ListAsync(X509Certificate2? certificate, StatusCode expected, string reason)
    {
        using var channel = Host.Channel(certificate);
        return await RpcAssert.ReasonAsync(expected, reason,
            async () => await new ArrivalService.ArrivalServiceClient(channel).ListArrivalsAsync(new ListArrivalsRequest()));
    }

    [Fact]
    public async Task AnyCall_WithoutClientCertificate_IsUnauthenticated()
    {
        await ListAsync(null, StatusCode.Unauthenticated, "CLIENT_CERTIFICATE_REQUIRED");
    }

    [Fact]
    public async Task Subscribe_WithoutClientCertificate_IsUnauthenticated()
    {
        using var channel = Host.Channel(null);

        await RpcAssert.ReasonAsync(StatusCode.Unauthenticated, "CLIENT_CERTIFICATE_REQUIRED",
            () => FeedReader.OpenAsync(new NoticeFeed.NoticeFeedClient(channel)));
    }

    [Fact]
    public async Task AnyCall_CertificateFromForeignCa_IsUnauthenticatedAndStoresNothing()
    {
        using var certificate = TestPki.ForeignClient("coa");
        using var channel = Host.Channel(certificate);
        var details = TestArrivals.Family();

        await RpcAssert.ReasonAsync(StatusCode.Unauthenticated, "CLIENT_CERTIFICATE_REFUSED", async () =>
            await new ArrivalService.ArrivalServiceClient(channel).AnnounceArrivalAsync(new AnnounceArrivalRequest { RequestId = "foreign-1", Arrival = details }));

        await using var db = Host.Db();
        Assert.False(await db.Arrivals.AnyAsync(a => a.CaseReference == details.CaseReference));
    }

    [Fact]
    public async Task AnyCall_OinNotInRegistry_IsPermissionDenied()
    {
        using var certificate = Issue(CertificateIdentity.Subject("stranger", "Unknown organisation", DevCertificateAuthority.TestOin(999)));

        var error = await ListAsync(certificate, StatusCode.PermissionDenied, "UNKNOWN_OIN");

        Assert.Contains(DevCertificateAuthority.TestOin(999), error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnyCall_CertificateWithoutOin_IsUnauthenticated()
    {
        using var certificate = Issue(new X500DistinguishedName("CN=no-oin, O=Somebody, C=NL"));

        await ListAsync(certificate, StatusCode.Unauthenticated, "OIN_MISSING");
    }

    [Fact]
    public async Task AnyCall_CertificateNotYetValidWithRegisteredOin_IsUnauthenticated()
    {
        // (The development CA is minutes old, so an expired certificate cannot be issued; one that is
        // not yet valid goes through the same validity check.)
        using var certificate = Issue(CertificateIdentity.Subject("coa", "COA", DevCertificateAuthority.TestOin(1)),
            from: DateTimeOffset.UtcNow.AddDays(1), until: DateTimeOffset.UtcNow.AddDays(30));

        await ListAsync(certificate, StatusCode.Unauthenticated, "CLIENT_CERTIFICATE_REFUSED");
    }

    [Fact]
    public async Task AnyCall_ExpiredCertificateWithRegisteredOin_IsUnauthenticated()
    {
        // Valid for its first second only, within the development CA's validity (which began minutes ago).
        using var ca = X509Certificate2.CreateFromPem(File.ReadAllText(TestPki.CaPath));
        var from = new DateTimeOffset(ca.NotBefore.ToUniversalTime());
        using var certificate = Issue(CertificateIdentity.Subject("coa", "COA", DevCertificateAuthority.TestOin(1)), from, from.AddSeconds(1));

        var error = await ListAsync(certificate, StatusCode.Unauthenticated, "CLIENT_CERTIFICATE_REFUSED");

        Assert.Contains("expired", error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnyCall_ServerCertificate_IsUnauthenticatedBecauseItIsNotForClients()
    {
        using var certificate = X509Certificate2.CreateFromPemFile(TestPki.CertificatePath(DevCertificateAuthority.ServerName), TestPki.KeyPath(DevCertificateAuthority.ServerName));

        await ListAsync(certificate, StatusCode.Unauthenticated, "CLIENT_CERTIFICATE_REFUSED");
    }

    [Fact]
    public async Task AnyCall_NewCertificateWithRegisteredOin_IsThatOrganisation()
    {
        // Identity is the OIN, not a particular certificate: a renewed certificate works at once.
        using var certificate = Issue(CertificateIdentity.Subject("coa-renewed", "COA", DevCertificateAuthority.TestOin(1)));
        using var channel = Host.Channel(certificate);

        var arrival = (await new ArrivalService.ArrivalServiceClient(channel).AnnounceArrivalAsync(
            new AnnounceArrivalRequest { RequestId = ArrivalSteps.NewRequestId(), Arrival = TestArrivals.Family() })).Arrival;

        Assert.Equal("coa", arrival.AnnouncedBy);
    }
}
