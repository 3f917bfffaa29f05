using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using ExchangeGateway.Server.Identity;
using ExchangeGateway.Tests.Shared;
using Microsoft.Extensions.Time.Testing;

namespace ExchangeGateway.Tests.Identity;

public sealed class ClientCertificateValidatorTests : IDisposable
{
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("exgw-validator-");

    public void Dispose() => _directory.Delete(recursive: true);

    private static X509Certificate2Collection Anchors => ClientCertificateValidator.LoadAnchors(TestPki.CaPath);

    private static ClientCertificateValidator Validator(TimeProvider time) => new(Anchors, time);

    /// <summary>A moment at which every certificate of the dev PKI is valid.</summary>
    private static FakeTimeProvider During(X509Certificate2 certificate) =>
        new(new DateTimeOffset(certificate.NotBefore.ToUniversalTime()).AddHours(1));

    /// <summary>A client certificate with COA's OIN, signed by the test CA, valid from <paramref name="from"/> to <paramref name="until"/>.</summary>
    private X509Certificate2 Issue(string name, DateTimeOffset from, DateTimeOffset until, string extendedKeyUsage = "1.3.6.1.5.5.7.3.2")
    {
        using var ca = DevCertificateAuthority.LoadCa(TestPki.Directory);
        DevCertificateAuthority.Issue(_directory.FullName, name, ca,
            CertificateIdentity.Subject(name, "COA", DevCertificateAuthority.TestOin(1)), extendedKeyUsage, null, from, until);
        return X509Certificate2.CreateFromPemFile(
            DevCertificateAuthority.CertificatePath(_directory.FullName, name), DevCertificateAuthority.KeyPath(_directory.FullName, name));
    }

    private static DateTimeOffset CaNotBefore()
    {
        using var ca = X509Certificate2.CreateFromPem(File.ReadAllText(TestPki.CaPath));
        return new DateTimeOffset(ca.NotBefore.ToUniversalTime());
    }

    [Theory]
    [InlineData("coa")]
    [InlineData("ind")]
    [InlineData("brp-drechtsteden")]
    public void Validate_DevClientCertificate_IsAccepted(string organisation)
    {
        using var certificate = TestPki.Client(organisation);

        Assert.Null(Validator(During(certificate)).Validate(certificate));
    }

    [Fact]
    public void Validate_DevClientCertificateOnSystemClock_IsAccepted()
    {
        using var certificate = TestPki.Client("coa");

        Assert.Null(Validator(TimeProvider.System).Validate(certificate));
    }

    [Fact]
    public void Validate_CertificateFromForeignCa_IsRefused()
    {
        using var certificate = TestPki.ForeignClient("coa");

        var failure = Validator(During(certificate)).Validate(certificate);

        Assert.NotNull(failure);
        Assert.StartsWith("certificate chain is not trusted", failure, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_ForeignCertificateWithForeignCaAsIntermediate_IsStillRefused()
    {
        // Extra certificates the caller presents never become trust anchors.
        using var certificate = TestPki.ForeignClient("coa");
        var intermediates = new X509Certificate2Collection();
        intermediates.ImportFromPemFile(Path.Combine(TestPki.ForeignDirectory, DevCertificateAuthority.CaFile));

        Assert.NotNull(Validator(During(certificate)).Validate(certificate, intermediates));
    }

    [Fact]
    public void Validate_ExpiredCertificate_IsRefused()
    {
        var from = CaNotBefore();
        using var certificate = Issue("expired", from, from.AddHours(1));
        var time = new FakeTimeProvider(from.AddHours(2));

        var failure = Validator(time).Validate(certificate);

        Assert.Equal("certificate is expired or not yet valid", failure);
    }

    [Fact]
    public void Validate_CertificateIssuedInThePastAndExpired_IsRefusedOnSystemClock()
    {
        // 'from' and 'until' both in the past (the CA's own validity starts a few minutes before the test run).
        var from = CaNotBefore();
        using var certificate = Issue("expired-system", from, from.AddSeconds(1));

        Assert.Equal("certificate is expired or not yet valid", Validator(TimeProvider.System).Validate(certificate));
    }

    [Fact]
    public void Validate_SameCertificateWithinItsValidity_IsAccepted()
    {
        // Control for the expiry tests: the issued certificate is otherwise acceptable.
        var from = CaNotBefore();
        using var certificate = Issue("in-validity", from, from.AddHours(1));

        Assert.Null(Validator(new FakeTimeProvider(from.AddMinutes(30))).Validate(certificate));
    }

    [Fact]
    public void Validate_AtNotAfter_IsRefused()
    {
        var from = CaNotBefore();
        using var certificate = Issue("at-not-after", from, from.AddHours(1));

        Assert.NotNull(Validator(new FakeTimeProvider(new DateTimeOffset(certificate.NotAfter.ToUniversalTime()))).Validate(certificate));
    }

    [Fact]
    public void Validate_NotYetValidCertificate_IsRefused()
    {
        using var certificate = TestPki.Client("coa");
        var time = new FakeTimeProvider(new DateTimeOffset(certificate.NotBefore.ToUniversalTime()).AddMinutes(-1));

        Assert.Equal("certificate is expired or not yet valid", Validator(time).Validate(certificate));
    }

    [Fact]
    public void Validate_ServerCertificate_IsRefusedAsClientCertificate()
    {
        using var certificate = X509Certificate2.CreateFromPemFile(
            TestPki.CertificatePath(DevCertificateAuthority.ServerName), TestPki.KeyPath(DevCertificateAuthority.ServerName));

        var failure = Validator(During(certificate)).Validate(certificate);

        Assert.NotNull(failure);
        Assert.Contains("NotValidForUsage", failure, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_ServerAuthOnlyCertificateWithOin_IsRefused()
    {
        var from = CaNotBefore();
        using var certificate = Issue("server-auth-only", from, from.AddHours(1), "1.3.6.1.5.5.7.3.1");

        Assert.NotNull(Validator(new FakeTimeProvider(from.AddMinutes(30))).Validate(certificate));
    }

    [Fact]
    public void Validate_AcceptedCertificateAfterItExpires_IsRefusedDespiteCachedVerdict()
    {
        var from = CaNotBefore();
        using var certificate = Issue("cached", from, from.AddHours(1));
        var time = new FakeTimeProvider(from.AddHours(1).AddSeconds(-10));
        var validator = Validator(time);
        Assert.Null(validator.Validate(certificate));

        time.Advance(TimeSpan.FromSeconds(20));

        Assert.NotNull(validator.Validate(certificate));
    }

    /// <summary>An issuing CA under the test root (as PKIoverheid has: root, domain CA, issuing CA), and a
    /// COA client certificate it issued.</summary>
    private (X509Certificate2 Intermediate, X509Certificate2 Leaf) IssueUnderIntermediate(DateTimeOffset from)
    {
        using var root = DevCertificateAuthority.LoadCa(TestPki.Directory);
        var intermediate = TestCertificates.Ca("CN=ExchangeGateway Test Issuing CA, C=NL", root, from: from, until: from.AddDays(1));
        DevCertificateAuthority.Issue(_directory.FullName, "leaf", intermediate,
            CertificateIdentity.Subject("coa", "COA", DevCertificateAuthority.TestOin(1)), "1.3.6.1.5.5.7.3.2", null, from, from.AddDays(1));
        return (intermediate, X509Certificate2.CreateFromPem(File.ReadAllText(DevCertificateAuthority.CertificatePath(_directory.FullName, "leaf"))));
    }

    [Fact]
    public void Validate_LeafOfIntermediateCaWithoutIntermediates_IsRefused()
    {
        // Control: only the root is an anchor, so the chain needs the intermediate the peer presents.
        var from = CaNotBefore();
        var (intermediate, leaf) = IssueUnderIntermediate(from);
        using (intermediate)
        using (leaf)
        {
            var time = new FakeTimeProvider(from.AddHours(1));

            Assert.Contains("PartialChain", Validator(time).Validate(leaf), StringComparison.Ordinal);
            Assert.Null(Validator(time).Validate(leaf, [intermediate]));
        }
    }

    [Fact]
    public void Validate_PerCallCheckAfterCacheMinute_StillAcceptsLeafOfIntermediateCa()
    {
        // The TLS handshake validates with the intermediates the peer sent; the per-call check
        // (CallerResolver) has none. It used to be refused (PartialChain) once the cached verdict was a
        // minute old, on the very connection the handshake had accepted.
        var from = CaNotBefore();
        var (intermediate, leaf) = IssueUnderIntermediate(from);
        using (leaf)
        {
            var time = new FakeTimeProvider(from.AddHours(1));
            var validator = Validator(time);
            using (intermediate)
            {
                Assert.Null(validator.Validate(leaf, [intermediate]));
            }

            time.Advance(TimeSpan.FromMinutes(2));
            Assert.Null(validator.Validate(leaf));
            time.Advance(TimeSpan.FromMinutes(2));
            Assert.Null(validator.Validate(leaf));
        }
    }

    [Fact]
    public void Validate_PerCallCheckAfterIntermediateExpired_IsRefused()
    {
        var from = CaNotBefore();
        var (intermediate, leaf) = IssueUnderIntermediate(from);
        using (intermediate)
        using (leaf)
        {
            var time = new FakeTimeProvider(from.AddHours(1));
            var validator = Validator(time);
            Assert.Null(validator.Validate(leaf, [intermediate]));

            // Both expire after a day; the retained intermediate does not keep the leaf alive.
            time.Advance(TimeSpan.FromDays(1));

            Assert.NotNull(validator.Validate(leaf));
        }
    }

    /// <summary>A validator over the dev CA with the CRLs given (DER), at a moment the dev PKI is valid.</summary>
    private static ClientCertificateValidator WithCrls(X509Certificate2Collection anchors, params byte[][] crls) =>
        new(Fixed(new TrustMaterial(anchors, [.. crls.Select(CertificateRevocationList.Parse)])), TimeProvider.System);

    private static Func<TrustMaterial> Fixed(TrustMaterial trust) => () => trust;

    [Fact]
    public void Validate_CertificateOnItsIssuersCrl_IsRefusedAsRevoked()
    {
        using var ca = DevCertificateAuthority.LoadCa(TestPki.Directory);
        using var utrecht = TestPki.Client("gemeente-utrecht");

        var failure = WithCrls(Anchors, TestCrls.Build(ca, utrecht)).Validate(utrecht);

        Assert.Equal("certificate is revoked", failure);
    }

    [Fact]
    public void Validate_OtherCertificateOfTheSameCa_IsStillAccepted()
    {
        using var ca = DevCertificateAuthority.LoadCa(TestPki.Directory);
        using var utrecht = TestPki.Client("gemeente-utrecht");
        using var coa = TestPki.Client("coa");

        Assert.Null(WithCrls(Anchors, TestCrls.Build(ca, utrecht)).Validate(coa));
    }

    [Fact]
    public void Validate_SerialOnAnotherIssuersCrl_IsAccepted()
    {
        // Revocation is per issuer: a CA listing the serial of a certificate it did not issue revokes nothing.
        using var root = DevCertificateAuthority.LoadCa(TestPki.Directory);
        using var issuing = TestCertificates.Ca("CN=ExchangeGateway Test Issuing CA, C=NL", root);
        using var coa = TestPki.Client("coa");
        var anchors = Anchors;
        anchors.Add(X509CertificateLoader.LoadCertificate(issuing.RawData));

        Assert.Null(WithCrls(anchors, TestCrls.Build(issuing, coa)).Validate(coa));
        Assert.Equal("certificate is revoked", WithCrls(anchors, TestCrls.Build(root, coa)).Validate(coa));
    }

    [Fact]
    public void Validate_LeafOfRevokedIntermediate_IsRefused()
    {
        var from = CaNotBefore();
        var (intermediate, leaf) = IssueUnderIntermediate(from);
        using (intermediate)
        using (leaf)
        {
            using var root = DevCertificateAuthority.LoadCa(TestPki.Directory);
            var validator = new ClientCertificateValidator(Fixed(new TrustMaterial(Anchors, [CertificateRevocationList.Parse(TestCrls.Build(root, intermediate))])),
                new FakeTimeProvider(from.AddHours(1)));

            Assert.Equal("an issuing CA certificate in its chain is revoked", validator.Validate(leaf, [intermediate]));
        }
    }

    [Fact]
    public void Validate_TrustReplacedAfterAcceptance_NextCheckUsesNewCrlDespiteCachedVerdict()
    {
        using var ca = DevCertificateAuthority.LoadCa(TestPki.Directory);
        using var utrecht = TestPki.Client("gemeente-utrecht");
        var trust = new TrustMaterial(Anchors, []);
        var validator = new ClientCertificateValidator(() => trust, During(utrecht));
        Assert.Null(validator.Validate(utrecht));

        trust = new TrustMaterial(Anchors, [CertificateRevocationList.Parse(TestCrls.Build(ca, utrecht))]);

        Assert.Equal("certificate is revoked", validator.Validate(utrecht));
    }

    [Fact]
    public void Validate_AnchorsReplacedByAnotherCa_ClientsOfTheOldCaRefusedAtOnce()
    {
        using var coa = TestPki.Client("coa");
        var trust = new TrustMaterial(Anchors, []);
        var validator = new ClientCertificateValidator(() => trust, During(coa));
        Assert.Null(validator.Validate(coa));

        trust = new TrustMaterial(ClientCertificateValidator.LoadAnchors(Path.Combine(TestPki.ForeignDirectory, DevCertificateAuthority.CaFile)), []);

        Assert.StartsWith("certificate chain is not trusted", validator.Validate(coa), StringComparison.Ordinal);
    }

    [Fact]
    public void LoadAnchors_FileWithoutCertificate_Throws()
    {
        var path = Path.Combine(_directory.FullName, "empty.pem");
        File.WriteAllText(path, "");

        Assert.Throws<InvalidDataException>(() => ClientCertificateValidator.LoadAnchors(path));
    }
}
