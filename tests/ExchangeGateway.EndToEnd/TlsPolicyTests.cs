using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using ExchangeGateway.EndToEnd.Fixtures;
using ExchangeGateway.Server.Identity;
using ExchangeGateway.Tests.Shared;

namespace ExchangeGateway.EndToEnd;

/// <summary>What the TLS handshake of the real gateway accepts: TLS 1.3 by preference, TLS 1.2 with
/// forward-secret AEAD suites only; and that a client certificate the gateway does not trust, though
/// admitted to the handshake, gets nothing but UNAUTHENTICATED with the reason.</summary>
public sealed class TlsPolicyTests(GatewayProcessFixture fixture) : IClassFixture<GatewayProcessFixture>
{
    private const string ClientAuthentication = "1.3.6.1.5.5.7.3.2";

    private Uri Address => fixture.Gateway.Address;

    private static X509Certificate2 Coa() => TestPki.Client("coa");

    [Fact]
    public async Task Handshake_ClientOfferingTls12And13_NegotiatesTls13()
    {
        using var coa = Coa();

        var probe = await TlsProbe.ConnectAsync(Address, coa, SslProtocols.Tls12 | SslProtocols.Tls13);

        Assert.Equal(SslProtocols.Tls13, probe.Protocol);
        Assert.True(probe.Accepted);
    }

    [Fact]
    public async Task Handshake_Tls12Only_NegotiatesAForwardSecretAeadSuite()
    {
        using var coa = Coa();

        var probe = await TlsProbe.ConnectAsync(Address, coa, SslProtocols.Tls12);

        Assert.Equal(SslProtocols.Tls12, probe.Protocol);
        Assert.StartsWith("TLS_ECDHE_", probe.CipherSuite.ToString(), StringComparison.Ordinal);
        Assert.True(probe.Accepted);
    }

    [Theory]
    [InlineData(TlsCipherSuite.TLS_RSA_WITH_AES_128_GCM_SHA256)] // no forward secrecy (RSA key transport)
    [InlineData(TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256)] // forward secret, but CBC: not on the gateway's list
    public async Task Handshake_Tls12ClientOfferingOnlyASuiteOutsideThePolicy_IsRefused(TlsCipherSuite suite)
    {
        if (OperatingSystem.IsWindows())
        {
            return; // cipher suite policies are an OpenSSL (Linux, macOS) feature; so is the gateway's
        }
        using var coa = Coa();
        var only = new CipherSuitesPolicy([suite]);

        var refused = await Assert.ThrowsAnyAsync<Exception>(() => TlsProbe.ConnectAsync(Address, coa, SslProtocols.Tls12, only));

        // The server's alert (handshake failure), not a client that could not offer the suite.
        Assert.Contains("alert", refused.ToString(), StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData("-tls1_1")]
    [InlineData("-tls1")]
    public async Task Handshake_Tls11OrTls10_IsRefusedByTheServer(string protocol)
    {
        // .NET's client (on OpenSSL 3) will not even offer TLS 1.0/1.1, which proves nothing about the
        // server; the openssl client can be told to (security level 0), and the server must answer
        // with a protocol_version alert.
        var result = await ChildProcess.RunAsync("openssl",
            ["s_client", "-connect", $"{Address.Host}:{Address.Port}", protocol, "-cipher", "DEFAULT@SECLEVEL=0",
             "-cert", TestPki.CertificatePath("coa"), "-key", TestPki.KeyPath("coa")],
            AppContext.BaseDirectory, TimeSpan.FromSeconds(30));

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("alert protocol version", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Call_TrustedClientCertificate_IsAnswered()
    {
        // Control for the refusals below.
        using var coa = Coa();

        Assert.Null(await GrpcProbe.PingAsync(Address, coa));
    }

    [Fact]
    public async Task Call_ClientCertificateOfAnotherCa_RefusedUnauthenticated()
    {
        using var foreign = TestPki.ForeignClient("coa");

        GrpcProbe.AssertCertificateRefused(await GrpcProbe.PingAsync(Address, foreign), "not trusted");
    }

    [Fact]
    public async Task Call_NoClientCertificate_RefusedUnauthenticated()
    {
        var refusal = await GrpcProbe.PingAsync(Address, null);

        Assert.Equal(Grpc.Core.StatusCode.Unauthenticated, refusal?.StatusCode);
        Assert.Contains("client certificate is required", refusal!.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Call_ServerCertificateUsedAsClientCertificate_RefusedForItsUsage()
    {
        using var server = X509Certificate2.CreateFromPemFile(TestPki.CertificatePath(DevCertificateAuthority.ServerName), TestPki.KeyPath(DevCertificateAuthority.ServerName));

        GrpcProbe.AssertCertificateRefused(await GrpcProbe.PingAsync(Address, server), "NotValidForUsage");
    }

    [Fact]
    public async Task Call_ExpiredClientCertificate_RefusedUnauthenticated()
    {
        using var ca = X509Certificate2.CreateFromPem(File.ReadAllText(TestPki.CaPath));
        var from = new DateTimeOffset(ca.NotBefore.ToUniversalTime());
        using var expired = Issue("expired", from, from.AddSeconds(1));

        GrpcProbe.AssertCertificateRefused(await GrpcProbe.PingAsync(Address, expired), "expired or not yet valid");
    }

    [Fact]
    public async Task Call_NotYetValidClientCertificate_RefusedUnauthenticated()
    {
        using var early = Issue("early", DateTimeOffset.UtcNow.AddDays(1), DateTimeOffset.UtcNow.AddDays(30));

        GrpcProbe.AssertCertificateRefused(await GrpcProbe.PingAsync(Address, early), "expired or not yet valid");
    }

    private static X509Certificate2 Issue(string name, DateTimeOffset from, DateTimeOffset until)
    {
        var directory = Directory.CreateTempSubdirectory("exgw-e2e-cert-").FullName;
        using var ca = DevCertificateAuthority.LoadCa(TestPki.Directory);
        DevCertificateAuthority.Issue(directory, name, ca, CertificateIdentity.Subject("coa", "COA", DevCertificateAuthority.TestOin(1)),
            ClientAuthentication, null, from, until);
        return X509Certificate2.CreateFromPemFile(DevCertificateAuthority.CertificatePath(directory, name), DevCertificateAuthority.KeyPath(directory, name));
    }
}
