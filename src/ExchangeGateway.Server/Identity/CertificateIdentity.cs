using System.Formats.Asn1;
using System.Security.Cryptography.X509Certificates;

namespace ExchangeGateway.Server.Identity;

/// <summary>Reads the OIN from a certificate: PKIoverheid and the Logius OIN-stelsel put it in the
/// subject's serialNumber attribute (OID 2.5.4.5).</summary>
public static class CertificateIdentity
{
    public const string SerialNumberOid = "2.5.4.5";

    public static string? ReadOin(X509Certificate2 certificate)
    {
        foreach (var rdn in certificate.SubjectName.EnumerateRelativeDistinguishedNames())
        {
            // A multi-valued RDN (CN=x+OU=y) has no single element: asking for it throws, so skip it.
            if (!rdn.HasMultipleElements && rdn.GetSingleElementType().Value == SerialNumberOid)
            {
                var value = rdn.GetSingleElementValue();
                return Identifiers.IsValidOin(value) ? value : null;
            }
        }
        return null;
    }

    /// <summary>Builds a subject with the OIN in serialNumber, for certificates the gateway issues in
    /// development and tests.</summary>
    public static X500DistinguishedName Subject(string commonName, string organisation, string oin)
    {
        var builder = new X500DistinguishedNameBuilder();
        builder.AddCountryOrRegion("NL");
        builder.AddOrganizationName(organisation);
        builder.Add(SerialNumberOid, oin, UniversalTagNumber.PrintableString);
        builder.AddCommonName(commonName);
        return builder.Build();
    }
}
