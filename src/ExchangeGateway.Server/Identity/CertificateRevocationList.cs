using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace ExchangeGateway.Server.Identity;

/// <summary>An X.509 CRL (RFC 5280 §5), read with the ASN.1 reader because .NET has no public type
/// that exposes a CRL's entries or checks its signature (CertificateRevocationListBuilder.Load only
/// serves to re-issue one). Supports complete CRLs signed with ECDSA or RSA PKCS#1 v1.5 over
/// SHA-256/384/512; delta CRLs, indirect CRLs and unknown critical extensions are refused, as RFC 5280
/// requires of a relying party that does not understand them.</summary>
internal sealed class CertificateRevocationList
{
    private const string PemLabel = "X509 CRL";
    private const string CrlNumber = "2.5.29.20";
    private const string AuthorityKeyIdentifier = "2.5.29.35";
    private const string IssuingDistributionPoint = "2.5.29.28";
    private const string ReasonCode = "2.5.29.21";
    private const string InvalidityDate = "2.5.29.24";

    private static readonly HashSet<string> UnderstoodCrlExtensions = new(StringComparer.Ordinal) { CrlNumber, AuthorityKeyIdentifier, IssuingDistributionPoint };
    private static readonly HashSet<string> UnderstoodEntryExtensions = new(StringComparer.Ordinal) { ReasonCode, InvalidityDate };

    private readonly byte[] _signedPart;
    private readonly string _signatureAlgorithm;
    private readonly byte[] _signature;

    private CertificateRevocationList(X500DistinguishedName issuer, DateTimeOffset thisUpdate, DateTimeOffset? nextUpdate,
        HashSet<string> revokedSerials, byte[] signedPart, string signatureAlgorithm, byte[] signature)
    {
        Issuer = issuer;
        ThisUpdate = thisUpdate;
        NextUpdate = nextUpdate;
        RevokedSerials = revokedSerials;
        _signedPart = signedPart;
        _signatureAlgorithm = signatureAlgorithm;
        _signature = signature;
    }

    public X500DistinguishedName Issuer { get; }

    public DateTimeOffset ThisUpdate { get; }

    /// <summary>When the issuer promises a newer CRL; null if it names no date.</summary>
    public DateTimeOffset? NextUpdate { get; }

    /// <summary>Serial numbers of the revoked certificates, as <see cref="SerialKey"/> makes them.</summary>
    public IReadOnlySet<string> RevokedSerials { get; }

    /// <summary>Reads a CRL file: PEM ("-----BEGIN X509 CRL-----") or DER.</summary>
    public static CertificateRevocationList Load(string path)
    {
        var bytes = File.ReadAllBytes(path);
        try
        {
            return Parse(bytes);
        }
        catch (Exception exception) when (exception is AsnContentException or CryptographicException or FormatException)
        {
            throw new InvalidDataException($"{path} is not a valid X.509 CRL: {exception.Message}", exception);
        }
    }

    public static CertificateRevocationList Parse(byte[] bytes)
    {
        var der = bytes;
        var text = System.Text.Encoding.ASCII.GetString(bytes);
        if (PemEncoding.TryFind(text, out var fields))
        {
            if (!text.AsSpan(fields.Label).SequenceEqual(PemLabel))
            {
                throw new FormatException($"PEM label is '{text[fields.Label]}', not '{PemLabel}'.");
            }
            der = Convert.FromBase64String(text[fields.Base64Data]);
        }
        var outer = new AsnReader(der, AsnEncodingRules.DER);
        var certificateList = outer.ReadSequence();
        outer.ThrowIfNotEmpty();
        var signedPart = certificateList.PeekEncodedValue().ToArray();
        var tbs = certificateList.ReadSequence();
        var signatureAlgorithm = ReadAlgorithm(certificateList);
        var signature = certificateList.ReadBitString(out _);
        certificateList.ThrowIfNotEmpty();

        if (tbs.PeekTag().HasSameClassAndValue(Asn1Tag.Integer) && (!tbs.TryReadInt32(out var version) || version != 1))
        {
            throw new FormatException("Only version 2 CRLs are supported.");
        }
        if (ReadAlgorithm(tbs) != signatureAlgorithm)
        {
            throw new FormatException("The signature algorithm inside the CRL differs from the one outside it.");
        }
        var issuer = new X500DistinguishedName(tbs.ReadEncodedValue().Span);
        var thisUpdate = ReadTime(tbs);
        DateTimeOffset? nextUpdate = tbs.HasData && IsTime(tbs.PeekTag()) ? ReadTime(tbs) : null;
        var revoked = new HashSet<string>(StringComparer.Ordinal);
        if (tbs.HasData && tbs.PeekTag().HasSameClassAndValue(Asn1Tag.Sequence))
        {
            var entries = tbs.ReadSequence();
            while (entries.HasData)
            {
                var entry = entries.ReadSequence();
                revoked.Add(SerialKey(entry.ReadIntegerBytes().Span));
                ReadTime(entry);
                if (entry.HasData)
                {
                    CheckExtensions(entry.ReadSequence(), UnderstoodEntryExtensions, "entry");
                }
                entry.ThrowIfNotEmpty();
            }
        }
        if (tbs.HasData)
        {
            var explicitExtensions = tbs.ReadSequence(new Asn1Tag(TagClass.ContextSpecific, 0));
            CheckExtensions(explicitExtensions.ReadSequence(), UnderstoodCrlExtensions, "CRL");
            explicitExtensions.ThrowIfNotEmpty();
        }
        tbs.ThrowIfNotEmpty();
        return new CertificateRevocationList(issuer, thisUpdate, nextUpdate, revoked, signedPart, signatureAlgorithm, signature);
    }

    /// <summary>Whether <paramref name="issuer"/> has the CRL's issuer name, may sign CRLs, and signed
    /// this one.</summary>
    public bool IsSignedBy(X509Certificate2 issuer)
    {
        if (!issuer.SubjectName.RawData.AsSpan().SequenceEqual(Issuer.RawData))
        {
            return false;
        }
        if (issuer.Extensions.OfType<X509KeyUsageExtension>().FirstOrDefault() is { } usage
            && (usage.KeyUsages & X509KeyUsageFlags.CrlSign) == 0)
        {
            return false;
        }
        var hash = _signatureAlgorithm switch
        {
            "1.2.840.10045.4.3.2" or "1.2.840.113549.1.1.11" => HashAlgorithmName.SHA256,
            "1.2.840.10045.4.3.3" or "1.2.840.113549.1.1.12" => HashAlgorithmName.SHA384,
            "1.2.840.10045.4.3.4" or "1.2.840.113549.1.1.13" => HashAlgorithmName.SHA512,
            _ => throw new InvalidDataException($"CRL signature algorithm {_signatureAlgorithm} is not supported (ECDSA or RSA PKCS#1 v1.5 with SHA-2 are)."),
        };
        if (_signatureAlgorithm.StartsWith("1.2.840.10045.", StringComparison.Ordinal))
        {
            using var ecdsa = issuer.GetECDsaPublicKey();
            return ecdsa is not null && ecdsa.VerifyData(_signedPart, _signature, hash, DSASignatureFormat.Rfc3279DerSequence);
        }
        using var rsa = issuer.GetRSAPublicKey();
        return rsa is not null && rsa.VerifyData(_signedPart, _signature, hash, RSASignaturePadding.Pkcs1);
    }

    /// <summary>A serial number as upper-case hex without leading zero bytes, so a certificate's and a
    /// CRL entry's encoding of the same number compare equal.</summary>
    public static string SerialKey(ReadOnlySpan<byte> bigEndian)
    {
        while (bigEndian.Length > 1 && bigEndian[0] == 0)
        {
            bigEndian = bigEndian[1..];
        }
        return Convert.ToHexString(bigEndian);
    }

    private static string ReadAlgorithm(AsnReader reader)
    {
        var algorithm = reader.ReadSequence();
        var oid = algorithm.ReadObjectIdentifier();
        // ECDSA has no parameters, RSA a NULL; neither matters for the supported algorithms.
        return oid;
    }

    private static bool IsTime(Asn1Tag tag) =>
        tag.HasSameClassAndValue(Asn1Tag.UtcTime) || tag.HasSameClassAndValue(Asn1Tag.GeneralizedTime);

    private static DateTimeOffset ReadTime(AsnReader reader) =>
        reader.PeekTag().HasSameClassAndValue(Asn1Tag.UtcTime) ? reader.ReadUtcTime() : reader.ReadGeneralizedTime();

    private static void CheckExtensions(AsnReader extensions, HashSet<string> understood, string where)
    {
        while (extensions.HasData)
        {
            var extension = extensions.ReadSequence();
            var oid = extension.ReadObjectIdentifier();
            var critical = extension.PeekTag().HasSameClassAndValue(Asn1Tag.Boolean) && extension.ReadBoolean();
            extension.ReadOctetString();
            extension.ThrowIfNotEmpty();
            if (critical && !understood.Contains(oid))
            {
                throw new FormatException($"The CRL has a critical {where} extension {oid} the gateway does not understand (delta and indirect CRLs are not supported).");
            }
        }
    }
}
