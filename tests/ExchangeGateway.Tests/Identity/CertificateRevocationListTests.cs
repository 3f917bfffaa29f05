using System.Security.Cryptography.X509Certificates;
using ExchangeGateway.Server.Identity;
using ExchangeGateway.Tests.Shared;

namespace ExchangeGateway.Tests.Identity;

public sealed class CertificateRevocationListTests : IDisposable
{
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("exgw-crl-");

    public void Dispose() => _directory.Delete(recursive: true);

    private static X509Certificate2 DevCa() => DevCertificateAuthority.LoadCa(TestPki.Directory);

    private string Write(string name, byte[] bytes)
    {
        var path = Path.Combine(_directory.FullName, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    [Fact]
    public void Load_PemCrl_ReadsIssuerDatesAndRevokedSerials()
    {
        using var ca = DevCa();
        using var utrecht = TestPki.Client("gemeente-utrecht");
        var path = Write("ca.crl", System.Text.Encoding.ASCII.GetBytes(TestCrls.Pem(TestCrls.Build(ca, utrecht))));

        var crl = CertificateRevocationList.Load(path);

        Assert.Equal(ca.SubjectName.Name, crl.Issuer.Name);
        Assert.True(crl.ThisUpdate <= DateTimeOffset.UtcNow);
        Assert.True(crl.NextUpdate > DateTimeOffset.UtcNow);
        Assert.Equal([CertificateRevocationList.SerialKey(utrecht.SerialNumberBytes.Span)], crl.RevokedSerials);
    }

    [Fact]
    public void Load_DerCrl_ReadsRevokedSerials()
    {
        using var ca = DevCa();
        using var coa = TestPki.Client("coa");
        using var ind = TestPki.Client("ind");

        var crl = CertificateRevocationList.Load(Write("ca.der", TestCrls.Build(ca, coa, ind)));

        Assert.Equal(2, crl.RevokedSerials.Count);
        Assert.Contains(CertificateRevocationList.SerialKey(ind.SerialNumberBytes.Span), crl.RevokedSerials);
    }

    [Fact]
    public void Load_EmptyCrl_RevokesNothing()
    {
        using var ca = DevCa();

        Assert.Empty(CertificateRevocationList.Load(Write("empty.crl", TestCrls.Build(ca))).RevokedSerials);
    }

    [Fact]
    public void Load_DevCaCrlWrittenByCertsInit_IsEmptyAndSignedByTheCa()
    {
        using var ca = DevCa();

        var crl = CertificateRevocationList.Load(Path.Combine(TestPki.Directory, DevCertificateAuthority.CrlFile));

        Assert.Empty(crl.RevokedSerials);
        Assert.True(crl.IsSignedBy(ca));
    }

    [Theory]
    [InlineData("not a crl at all")]
    [InlineData("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")]
    public void Load_NotACrl_ThrowsInvalidData(string content)
    {
        Assert.Throws<InvalidDataException>(() => CertificateRevocationList.Load(Write("bad.crl", System.Text.Encoding.ASCII.GetBytes(content))));
    }

    [Fact]
    public void Load_TruncatedCrl_ThrowsInvalidData()
    {
        using var ca = DevCa();
        var der = TestCrls.Build(ca);

        Assert.Throws<InvalidDataException>(() => CertificateRevocationList.Load(Write("half.crl", der[..(der.Length / 2)])));
    }

    [Fact]
    public void IsSignedBy_ItsEcdsaCa_IsTrue()
    {
        using var ca = DevCa();

        Assert.True(CertificateRevocationList.Parse(TestCrls.Build(ca)).IsSignedBy(ca));
    }

    [Fact]
    public void IsSignedBy_RsaCa_IsTrue()
    {
        using var ca = TestCertificates.Ca("CN=Test RSA CA", rsa: true);

        Assert.True(CertificateRevocationList.Parse(TestCrls.Build(ca)).IsSignedBy(ca));
    }

    [Fact]
    public void IsSignedBy_OtherCaWithTheSameName_IsFalse()
    {
        // The foreign development CA has exactly the same subject name, but another key.
        using var ca = DevCa();
        using var foreign = DevCertificateAuthority.LoadCa(TestPki.ForeignDirectory);
        Assert.Equal(ca.SubjectName.Name, foreign.SubjectName.Name);

        Assert.False(CertificateRevocationList.Parse(TestCrls.Build(foreign)).IsSignedBy(ca));
    }

    [Fact]
    public void IsSignedBy_CaWithOtherName_IsFalse()
    {
        using var ca = DevCa();
        using var other = TestCertificates.Ca("CN=Another CA");

        Assert.False(CertificateRevocationList.Parse(TestCrls.Build(ca)).IsSignedBy(other));
    }

    [Theory]
    [InlineData(new byte[] { 0x00, 0x8F, 0x01 }, "8F01")]
    [InlineData(new byte[] { 0x8F, 0x01 }, "8F01")]
    [InlineData(new byte[] { 0x00 }, "00")]
    public void SerialKey_LeadingZeroBytes_AreIgnored(byte[] serial, string expected)
    {
        Assert.Equal(expected, CertificateRevocationList.SerialKey(serial));
    }
}
