using System.Numerics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace ExchangeGateway.Tests.Identity;

/// <summary>CRLs signed by a test CA (<see cref="Shared.TestCertificates.Ca"/>), built with the platform's CRL builder.</summary>
internal static class TestCrls
{
    /// <summary>A DER CRL signed by <paramref name="ca"/> (which has its key) revoking <paramref name="revoked"/>.</summary>
    public static byte[] Build(X509Certificate2 ca, params X509Certificate2[] revoked)
    {
        var builder = new CertificateRevocationListBuilder();
        foreach (var certificate in revoked)
        {
            builder.AddEntry(certificate, DateTimeOffset.UtcNow.AddMinutes(-1));
        }
        return builder.Build(ca, BigInteger.One, DateTimeOffset.UtcNow.AddDays(7), HashAlgorithmName.SHA256,
            ca.GetRSAPrivateKey() is null ? null : RSASignaturePadding.Pkcs1);
    }

    public static string Pem(byte[] der) => PemEncoding.WriteString("X509 CRL", der);
}
