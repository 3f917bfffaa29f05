using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace ExchangeGateway.Tests.Shared;

/// <summary>The certificates a test makes for itself, beside the development PKI (<see cref="TestPki"/>,
/// made by the gateway's own <c>DevCertificateAuthority</c>): self-signed leaves and extra CAs.</summary>
internal static class TestCertificates
{
    /// <summary>A self-signed certificate (with key), valid from a day ago until a day ahead.</summary>
    public static X509Certificate2 SelfSigned(X500DistinguishedName subject)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
    }

    /// <summary>A CA certificate (with key), issued by <paramref name="issuer"/> or self-signed when null,
    /// valid from <paramref name="from"/> (the issuer's start, or an hour ago) until <paramref name="until"/>
    /// (the issuer's end, or 30 days later).</summary>
    public static X509Certificate2 Ca(string name, X509Certificate2? issuer = null, bool rsa = false, DateTimeOffset? from = null, DateTimeOffset? until = null)
    {
        using AsymmetricAlgorithm key = rsa ? RSA.Create(2048) : ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = key is RSA r
            ? new CertificateRequest(name, r, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)
            : new CertificateRequest(name, (ECDsa)key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var notBefore = from ?? (issuer is null ? DateTimeOffset.UtcNow.AddHours(-1) : new DateTimeOffset(issuer.NotBefore.ToUniversalTime()));
        var notAfter = until ?? (issuer is null ? notBefore.AddDays(30) : new DateTimeOffset(issuer.NotAfter.ToUniversalTime()));
        if (issuer is null)
        {
            return request.CreateSelfSigned(notBefore, notAfter);
        }
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(issuer, true, false));
        using var certificate = request.Create(issuer, notBefore, notAfter, RandomNumberGenerator.GetBytes(8));
        return key is RSA rsaKey ? certificate.CopyWithPrivateKey(rsaKey) : certificate.CopyWithPrivateKey((ECDsa)key);
    }
}
