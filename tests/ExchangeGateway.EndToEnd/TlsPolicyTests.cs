using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using ExchangeGateway.EndToEnd.Fixtures;
using ExchangeGateway.Server.Identity;
using ExchangeGateway.Tests.Shared;

namespace ExchangeGateway.EndToEnd;

/// <summary>What the TLS handshake of the real gateway accepts: TLS 1.3 by preference, TLS 1.2 with
/// forward-secret AEAD suites only, and only client certificates the gateway trusts.</summary>
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
        var result = await ProcessRunner.RunAsync("openssl",
            ["s_client", "-connect", $"{Address.Host}:{Address.Port}", protocol, "-cipher", "DEFAULT@SECLEVEL=0",
             "-cert", TestPki.CertificatePath("coa"), "-key", TestPki.KeyPath("coa")],
            AppContext.BaseDirectory, TimeSpan.FromSeconds(30));

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("alert protocol version", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Handshake_TrustedClientCertificate_IsAccepted()
    {
        // Control for the refusals below.
        using var coa = Coa();

        Assert.True(await TlsProbe.AcceptsAsync(Address, coa));
    }

    [Fact]
    public async Task Handshake_ClientCertificateOfAnotherCa_IsRefused()
    {
        using var foreign = TestPki.ForeignClient("coa");

        Assert.False(await TlsProbe.AcceptsAsync(Address, foreign));
    }

    [Fact]
    public async Task Handshake_ServerCertificateUsedAsClientCertificate_IsRefusedForItsUsage()
    {
        using var server = X509Certificate2.CreateFromPemFile(TestPki.CertificatePath(DevCertificateAuthority.ServerName), TestPki.KeyPath(DevCertificateAuthority.ServerName));

        Assert.False(await TlsProbe.AcceptsAsync(Address, server));
    }

    [Fact]
    public async Task Handshake_ExpiredClientCertificate_IsRefused()
    {
        using var ca = X509Certificate2.CreateFromPem(File.ReadAllText(TestPki.CaPath));
        var from = new DateTimeOffset(ca.NotBefore.ToUniversalTime());
        using var expired = Issue("expired", from, from.AddSeconds(1));

        Assert.False(await TlsProbe.AcceptsAsync(Address, expired));
    }

    [Fact]
    public async Task Handshake_NotYetValidClientCertificate_IsRefused()
    {
        using var early = Issue("early", DateTimeOffset.UtcNow.AddDays(1), DateTimeOffset.UtcNow.AddDays(30));

        Assert.False(await TlsProbe.AcceptsAsync(Address, early));
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
