using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using ExchangeGateway.Server.Identity;
using ExchangeGateway.Tests.Shared;

namespace ExchangeGateway.Tests.Identity;

public sealed class CertificateIdentityTests
{
    [Theory]
    [InlineData("coa", 1)]
    [InlineData("ind", 2)]
    [InlineData("gemeente-amsterdam", 363)]
    public void ReadOin_DevClientCertificate_ReturnsItsTestOin(string organisation, int number)
    {
        using var certificate = TestPki.Client(organisation);

        Assert.Equal(DevCertificateAuthority.TestOin(number), CertificateIdentity.ReadOin(certificate));
    }

    [Fact]
    public void ReadOin_CoaCertificate_IsTheOinTheRegistryKnows()
    {
        using var certificate = TestPki.Client("coa");

        Assert.Equal("00000099000000010000", CertificateIdentity.ReadOin(certificate));
    }

    [Fact]
    public void ReadOin_ServerCertificateWithoutSerialNumber_ReturnsNull()
    {
        using var certificate = X509Certificate2.CreateFromPem(File.ReadAllText(TestPki.CertificatePath(DevCertificateAuthority.ServerName)));

        Assert.Null(CertificateIdentity.ReadOin(certificate));
    }

    [Fact]
    public void ReadOin_SubjectWithoutSerialNumber_ReturnsNull()
    {
        using var certificate = TestCertificates.SelfSigned(new X500DistinguishedName("CN=coa, O=COA, C=NL"));

        Assert.Null(CertificateIdentity.ReadOin(certificate));
    }

    [Theory]
    [InlineData("1234")]
    [InlineData("0000009900000001000X")]
    [InlineData("000000990000000100000")]
    public void ReadOin_SerialNumberNotAnOin_ReturnsNull(string serialNumber)
    {
        var builder = new X500DistinguishedNameBuilder();
        builder.AddCommonName("coa");
        builder.Add(CertificateIdentity.SerialNumberOid, serialNumber, UniversalTagNumber.PrintableString);
        using var certificate = TestCertificates.SelfSigned(builder.Build());

        Assert.Null(CertificateIdentity.ReadOin(certificate));
    }

    /// <summary>A name whose RDNs are given as (OID, value) lists; a list of two is a multi-valued RDN (A=x+B=y).</summary>
    private static X500DistinguishedName Name(params (string Oid, string Value)[][] rdns)
    {
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            foreach (var rdn in rdns)
            {
                using (writer.PushSetOf())
                {
                    foreach (var (oid, value) in rdn)
                    {
                        using (writer.PushSequence())
                        {
                            writer.WriteObjectIdentifier(oid);
                            writer.WriteCharacterString(UniversalTagNumber.PrintableString, value);
                        }
                    }
                }
            }
        }
        return new X500DistinguishedName(writer.Encode());
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void ReadOin_OtherRdnIsMultiValued_ReturnsOinFromSerialNumber(bool multiValuedLast)
    {
        // With the multi-valued RDN read before serialNumber (subjects are read from the last RDN), this
        // used to throw InvalidOperationException ("Single-element methods are not valid ... multiple
        // elements"), which escaped the caller interceptor as an unhandled exception.
        var oin = DevCertificateAuthority.TestOin(1);
        (string, string)[] multiValued = [("2.5.4.3", "coa"), ("2.5.4.11", "Opvang")];
        (string, string)[][] rdns = [[("2.5.4.6", "NL")], [("2.5.4.10", "COA")], [(CertificateIdentity.SerialNumberOid, oin)]];
        using var certificate = TestCertificates.SelfSigned(Name(multiValuedLast ? [.. rdns, multiValued] : [multiValued, .. rdns]));

        Assert.Equal(oin, CertificateIdentity.ReadOin(certificate));
    }

    [Fact]
    public void ReadOin_SerialNumberOnlyInMultiValuedRdn_ReturnsNull()
    {
        using var certificate = TestCertificates.SelfSigned(Name(
            [("2.5.4.3", "coa"), (CertificateIdentity.SerialNumberOid, DevCertificateAuthority.TestOin(1))]));

        Assert.Null(CertificateIdentity.ReadOin(certificate));
    }

    [Fact]
    public void Subject_WithOin_ReadsBackFromCertificate()
    {
        var oin = DevCertificateAuthority.TestOin(12345678);
        using var certificate = TestCertificates.SelfSigned(CertificateIdentity.Subject("x", "Organisation, with comma", oin));

        Assert.Equal(oin, CertificateIdentity.ReadOin(certificate));
        Assert.Contains("O=\"Organisation, with comma\"", certificate.Subject, StringComparison.Ordinal);
    }
}
