using System.Security.Cryptography.X509Certificates;

namespace ExchangeGateway.Server.Identity;

/// <summary>What client certificates are judged against: the configured trust anchors and the CRLs
/// of the CAs among them. Immutable; a reload builds a new one, which is also how the validator
/// knows its cached verdicts are stale.</summary>
internal sealed class TrustMaterial
{
    /// <summary>Revoked serials per issuing CA, keyed by <see cref="IssuerKey"/>.</summary>
    private readonly Dictionary<string, HashSet<string>> _revokedByIssuer;

    public TrustMaterial(X509Certificate2Collection anchors, IReadOnlyList<CertificateRevocationList> revocationLists)
    {
        Anchors = anchors;
        RevocationLists = revocationLists;
        _revokedByIssuer = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        foreach (var crl in revocationLists)
        {
            // Load has made sure every CRL is signed by one of the anchors; index it under each anchor
            // that could have signed it (a re-keyed CA keeps its name), so the issuer of a chain finds it.
            foreach (var issuer in anchors.Where(crl.IsSignedBy))
            {
                var key = IssuerKey(issuer);
                if (!_revokedByIssuer.TryGetValue(key, out var serials))
                {
                    _revokedByIssuer[key] = serials = new HashSet<string>(StringComparer.Ordinal);
                }
                serials.UnionWith(crl.RevokedSerials);
            }
        }
    }

    public X509Certificate2Collection Anchors { get; }

    public IReadOnlyList<CertificateRevocationList> RevocationLists { get; }

    /// <summary>Loads the anchors (PEM) and the CRLs (PEM or DER). Every CRL must be signed by one of
    /// the anchors (a root or an intermediate CA listed there): a CRL nobody trusted signed could
    /// otherwise revoke, or appear to vouch for, anyone.</summary>
    public static TrustMaterial Load(string anchorsPath, IReadOnlyList<string> crlPaths)
    {
        var anchors = ClientCertificateValidator.LoadAnchors(anchorsPath);
        var lists = new List<CertificateRevocationList>();
        foreach (var path in crlPaths)
        {
            var crl = CertificateRevocationList.Load(path);
            if (!anchors.Any(crl.IsSignedBy))
            {
                throw new InvalidDataException($"CRL {path} is not signed by any of the trust anchors in {anchorsPath} (its issuer: {crl.Issuer.Name}).");
            }
            lists.Add(crl);
        }
        return new TrustMaterial(anchors, lists);
    }

    /// <summary>Null when no certificate in the built chain is on its issuer's CRL, else which one is.
    /// Revocation is per issuer: a serial only counts on the CRL of the CA that issued the certificate.</summary>
    public string? RevocationFailure(X509ChainElementCollection chain)
    {
        for (var i = 0; i < chain.Count - 1; i++)
        {
            var certificate = chain[i].Certificate;
            if (_revokedByIssuer.TryGetValue(IssuerKey(chain[i + 1].Certificate), out var serials)
                && serials.Contains(CertificateRevocationList.SerialKey(certificate.SerialNumberBytes.Span)))
            {
                return i == 0 ? "certificate is revoked" : "an issuing CA certificate in its chain is revoked";
            }
        }
        return null;
    }

    /// <summary>A CA is its name and its key: a re-issued CA certificate with the same key signs the same CRLs.</summary>
    private static string IssuerKey(X509Certificate2 ca) =>
        Convert.ToHexString(ca.SubjectName.RawData) + "/" + Convert.ToHexString(ca.PublicKey.ExportSubjectPublicKeyInfo());
}
