using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace ExchangeGateway.Server.Identity;

/// <summary>Decides whether a client certificate may identify a caller: it must chain to one of the
/// configured trust anchors (never the machine's store), be valid now, allow client authentication,
/// and be on no CRL of its issuer. Used by Kestrel during the TLS handshake and again per call, so a
/// host without TLS termination of its own (the test host) applies the same rule. The trust material
/// is read anew on every check, so replaced anchors and CRLs apply to the next call.</summary>
internal sealed class ClientCertificateValidator
{
    private const string ClientAuthentication = "1.3.6.1.5.5.7.3.2";
    private const int MaxRemembered = 10_000;
    private static readonly TimeSpan VerdictLifetime = TimeSpan.FromMinutes(1);

    private readonly Func<TrustMaterial> _trust;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, Verdict> _recent = new(StringComparer.Ordinal);

    public ClientCertificateValidator(Func<TrustMaterial> trust, TimeProvider time)
    {
        _trust = trust;
        _time = time;
    }

    /// <summary>Fixed anchors and no CRLs (tests, tools).</summary>
    public ClientCertificateValidator(X509Certificate2Collection trustAnchors, TimeProvider time)
        : this(Fixed(new TrustMaterial(trustAnchors, [])), time)
    {
    }

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
        // every call, so a verdict is reused for a minute, but only under the trust material it was
        // reached with: after a reload the next call is judged by the new anchors and CRLs. (Comparing
        // the instance, rather than clearing the cache on reload, cannot race with a check in flight.)
        var trust = _trust();
        var now = _time.GetUtcNow();
        var key = certificate.Thumbprint;
        var known = _recent.TryGetValue(key, out var cached);
        if (known && ReferenceEquals(cached.Trust, trust) && now - cached.CheckedAt < VerdictLifetime
            && now < certificate.NotAfter.ToUniversalTime())
        {
            return cached.Failure;
        }
        // The per-call check has no intermediates (HttpContext does not carry the peer's chain): reuse
        // the ones the TLS handshake presented with this certificate, or a certificate issued by an
        // intermediate CA would be refused on its connection a minute after the handshake accepted it.
        var retained = intermediates is null && known ? cached.Intermediates : null;
        var failure = Check(certificate, intermediates ?? retained, trust, now);
        if (_recent.Count >= MaxRemembered)
        {
            // Bounded memory whatever peers present: forgetting only costs a chain build.
            _recent.Clear();
        }
        // Kept for accepted certificates only: a refused peer cannot make the gateway hold what it sent.
        _recent[key] = new Verdict(trust, now, failure, failure is null ? retained ?? Copy(intermediates) : null);
        return failure;
    }

    /// <summary>The intermediates the TLS handshake presented with this (accepted) certificate, if
    /// remembered: open streams keep them so a re-check after a reload builds the same chain.</summary>
    public X509Certificate2Collection? RetainedIntermediates(X509Certificate2 certificate) =>
        _recent.TryGetValue(certificate.Thumbprint, out var cached) ? cached.Intermediates : null;

    private static Func<TrustMaterial> Fixed(TrustMaterial trust) => () => trust;

    /// <summary>Copies the certificates, so they do not depend on the lifetime of the TLS layer's chain.</summary>
    private static X509Certificate2Collection? Copy(X509Certificate2Collection? certificates) =>
        certificates is null or { Count: 0 } ? null
        : [.. certificates.Select(c => X509CertificateLoader.LoadCertificate(c.RawData))];

    private static string? Check(X509Certificate2 certificate, X509Certificate2Collection? intermediates, TrustMaterial trust, DateTimeOffset now)
    {
        if (now < certificate.NotBefore.ToUniversalTime() || now >= certificate.NotAfter.ToUniversalTime())
        {
            return "certificate is expired or not yet valid";
        }
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(trust.Anchors);
        if (intermediates is not null)
        {
            chain.ChainPolicy.ExtraStore.AddRange(intermediates);
        }
        // Revocation is checked below against the configured CRLs: the platform's own checking would
        // fetch CRLs over the network (Online) or consult the machine's cache (Offline), neither of
        // which is the operator's list.
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationTime = now.UtcDateTime;
        chain.ChainPolicy.ApplicationPolicy.Add(new Oid(ClientAuthentication));
        if (!chain.Build(certificate))
        {
            var reasons = chain.ChainStatus.Select(s => s.Status.ToString()).Distinct();
            return "certificate chain is not trusted: " + string.Join(", ", reasons);
        }
        return trust.RevocationFailure(chain.ChainElements);
    }

    private readonly record struct Verdict(TrustMaterial Trust, DateTimeOffset CheckedAt, string? Failure, X509Certificate2Collection? Intermediates);
}
