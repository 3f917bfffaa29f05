using System.Numerics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace ExchangeGateway.Tests.Identity;

/// <summary>CRLs signed by a test CA, built with the platform's CRL builder.</summary>
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

    /// <summary>A CA certificate (with key), issued by <paramref name="issuer"/> or self-signed when null.</summary>
    public static X509Certificate2 Ca(string name, X509Certificate2? issuer = null, bool rsa = false)
    {
        using AsymmetricAlgorithm key = rsa ? RSA.Create(2048) : ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = key is RSA r
            ? new CertificateRequest(name, r, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)
            : new CertificateRequest(name, (ECDsa)key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var from = issuer is null ? DateTimeOffset.UtcNow.AddHours(-1) : new DateTimeOffset(issuer.NotBefore.ToUniversalTime());
        var until = issuer is null ? from.AddDays(30) : new DateTimeOffset(issuer.NotAfter.ToUniversalTime());
        if (issuer is null)
        {
            return request.CreateSelfSigned(from, until);
        }
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(issuer, true, false));
        using var certificate = request.Create(issuer, from, until, RandomNumberGenerator.GetBytes(8));
        return key is RSA rsaKey ? certificate.CopyWithPrivateKey(rsaKey) : certificate.CopyWithPrivateKey((ECDsa)key);
    }
}
