using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace ExchangeGateway.Server.Identity;

/// <summary>Decides whether a client certificate may identify a caller: it must chain to one of the
/// configured trust anchors (never the machine's store), be valid now, and allow client
/// authentication. Used by Kestrel during the TLS handshake and again per call, so a host without
/// TLS termination of its own (the test host) applies the same rule.</summary>
public sealed class ClientCertificateValidator(X509Certificate2Collection trustAnchors, TimeProvider time)
{
    private const string ClientAuthentication = "1.3.6.1.5.5.7.3.2";
    private const int MaxRemembered = 10_000;

    private readonly ConcurrentDictionary<string, (DateTimeOffset CheckedAt, string? Failure, X509Certificate2Collection? Intermediates)> _recent = new(StringComparer.Ordinal);

    public static X509Certificate2Collection LoadAnchors(string pemPath)
    {
        var anchors = new X509Certificate2Collection();
        anchors.ImportFromPemFile(pemPath);
        if (anchors.Count == 0)
        {
            throw new InvalidDataException($"{pemPath} holds no certificate.");
        }
        return anchors;
    }

    /// <summary>Null when the certificate is acceptable, else why not (no personal data).</summary>
    public string? Validate(X509Certificate2 certificate, X509Certificate2Collection? intermediates = null)
    {
        // Building a chain costs a few hundred microseconds; callers present the same certificate on
        // every call, so a verdict is reused for a minute.
        var now = time.GetUtcNow();
        var key = certificate.Thumbprint;
        var known = _recent.TryGetValue(key, out var cached);
        if (known && now - cached.CheckedAt < TimeSpan.FromMinutes(1) && now < certificate.NotAfter.ToUniversalTime())
        {
            return cached.Failure;
        }
        // The per-call check has no intermediates (HttpContext does not carry the peer's chain): reuse
        // the ones the TLS handshake presented with this certificate, or a certificate issued by an
        // intermediate CA would be refused on its connection a minute after the handshake accepted it.
        var retained = intermediates is null && known ? cached.Intermediates : null;
        var failure = Check(certificate, intermediates ?? retained, now);
        if (_recent.Count >= MaxRemembered)
        {
            // Bounded memory whatever peers present: forgetting only costs a chain build.
            _recent.Clear();
        }
        // Kept for accepted certificates only: a refused peer cannot make the gateway hold what it sent.
        _recent[key] = (now, failure, failure is null ? retained ?? Copy(intermediates) : null);
        return failure;
    }

    /// <summary>Copies the certificates, so they do not depend on the lifetime of the TLS layer's chain.</summary>
    private static X509Certificate2Collection? Copy(X509Certificate2Collection? certificates) =>
        certificates is null or { Count: 0 } ? null
        : [.. certificates.Select(c => X509CertificateLoader.LoadCertificate(c.RawData))];

    private string? Check(X509Certificate2 certificate, X509Certificate2Collection? intermediates, DateTimeOffset now)
    {
        if (now < certificate.NotBefore.ToUniversalTime() || now >= certificate.NotAfter.ToUniversalTime())
        {
            return "certificate is expired or not yet valid";
        }
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(trustAnchors);
        if (intermediates is not null)
        {
            chain.ChainPolicy.ExtraStore.AddRange(intermediates);
        }
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationTime = now.UtcDateTime;
        chain.ChainPolicy.ApplicationPolicy.Add(new Oid(ClientAuthentication));
        if (!chain.Build(certificate))
        {
            var reasons = chain.ChainStatus.Select(s => s.Status.ToString()).Distinct();
            return "certificate chain is not trusted: " + string.Join(", ", reasons);
        }
        return null;
    }
}
