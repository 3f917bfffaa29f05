using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace ExchangeGateway.Server.Identity;

/// <summary>Generates a development PKI in C# (no openssl): a CA, a server certificate for localhost,
/// and client certificates with test OINs (prefix 00000099) in the subject's serialNumber, plus the
/// matching organisation registry. For development, tests and demos only: production uses
/// PKIoverheid certificates (see certs/README.md).</summary>
public static class DevCertificateAuthority
{
    public const string CaFile = "ca.crt";
    public const string ServerName = "server";
    public const string RegistryFile = "organisations.json";
    public const string CrlFile = "ca.crl";

    /// <summary>The gateway's own client certificate (clientAuth), presented to webhook receivers.</summary>
    public const string GatewayClientName = "gateway-client";

    /// <summary>How long a CRL written here is current; a development CRL is re-signed on every revocation anyway.</summary>
    private static readonly TimeSpan CrlValidity = TimeSpan.FromDays(365);

    private const string ServerAuthentication = "1.3.6.1.5.5.7.3.1";
    private const string ClientAuthentication = "1.3.6.1.5.5.7.3.2";

    /// <summary>The organisations of the development set-up.</summary>
    public static IReadOnlyList<Organisation> DefaultOrganisations { get; } =
    [
        new("coa", "Centraal Orgaan opvang asielzoekers", OrganisationRole.Coa, [TestOin(1)], []),
        new("ind", "Immigratie- en Naturalisatiedienst", OrganisationRole.Ind, [TestOin(2)], []),
        new("ketenregie", "Ketenregie asielketen", OrganisationRole.ChainCoordination, [TestOin(3)], []),
        new("gemeente-amsterdam", "Gemeente Amsterdam", OrganisationRole.Municipality, [TestOin(363)], ["0363"]),
        new("gemeente-utrecht", "Gemeente Utrecht", OrganisationRole.Municipality, [TestOin(344)], ["0344"]),
        new("gemeente-groningen", "Gemeente Groningen", OrganisationRole.Municipality, [TestOin(14)], ["0014"]),
        new("brp-drechtsteden", "Dienst Gezondheid & Jeugd / BRP Drechtsteden", OrganisationRole.Municipality, [TestOin(505)], ["0505", "0590"]),
    ];

    /// <summary>A test OIN: prefix 00000099, an 8-digit number, suffix 0000.</summary>
    public static string TestOin(int number) => $"00000099{number:D8}0000";

    /// <summary>Whether <paramref name="directory"/> already holds a complete set.</summary>
    public static bool Exists(string directory) =>
        File.Exists(Path.Combine(directory, CaFile)) && File.Exists(Path.Combine(directory, RegistryFile))
        && File.Exists(CertificatePath(directory, ServerName)) && File.Exists(KeyPath(directory, ServerName));

    public static string CertificatePath(string directory, string name) => Path.Combine(directory, name + ".crt");

    public static string KeyPath(string directory, string name) => Path.Combine(directory, name + ".key");

    /// <summary>Writes a fresh CA, server certificate and one client certificate per organisation
    /// (named by organisation id), and the organisation registry.</summary>
    public static void Generate(string directory, IReadOnlyList<Organisation>? organisations = null, DateTimeOffset? now = null)
    {
        organisations ??= DefaultOrganisations;
        var from = (now ?? DateTimeOffset.UtcNow).AddMinutes(-5);
        Directory.CreateDirectory(directory);

        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=ExchangeGateway Development CA, O=ExchangeGateway (development only), C=NL", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 1, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        caRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(caRequest.PublicKey, false));
        using var ca = caRequest.CreateSelfSigned(from, from.AddYears(5));
        File.WriteAllText(Path.Combine(directory, CaFile), ca.ExportCertificatePem());
        WriteKey(Path.Combine(directory, "ca.key"), caKey);

        var serverSan = new SubjectAlternativeNameBuilder();
        serverSan.AddDnsName("localhost");
        serverSan.AddIpAddress(IPAddress.Loopback);
        serverSan.AddIpAddress(IPAddress.IPv6Loopback);
        Issue(directory, ServerName, ca, new X500DistinguishedName("CN=localhost, O=ExchangeGateway (development only), C=NL"),
            ServerAuthentication, serverSan.Build(), from);

        foreach (var organisation in organisations)
        {
            Issue(directory, organisation.Id, ca, CertificateIdentity.Subject(organisation.Id, organisation.Name, organisation.Oins[0]),
                ClientAuthentication, null, from);
        }
        IssueGatewayClient(directory, ca, from);
        new OrganisationRegistry(organisations).Save(Path.Combine(directory, RegistryFile));
        WriteCrl(directory, ca, new CertificateRevocationListBuilder(), 1, from.AddMinutes(5));
    }

    /// <summary>Adds what a set generated by an earlier version lacks: the CRL (empty) and the
    /// gateway's webhook client certificate.</summary>
    public static void Complete(string directory)
    {
        if (!File.Exists(Path.Combine(directory, "ca.key")))
        {
            return;
        }
        using var ca = LoadCa(directory);
        if (!File.Exists(Path.Combine(directory, CrlFile)))
        {
            WriteCrl(directory, ca, new CertificateRevocationListBuilder(), 1, DateTimeOffset.UtcNow);
        }
        if (!File.Exists(CertificatePath(directory, GatewayClientName)))
        {
            IssueGatewayClient(directory, ca, DateTimeOffset.UtcNow.AddMinutes(-5));
        }
    }

    private static void IssueGatewayClient(string directory, X509Certificate2 ca, DateTimeOffset from) =>
        Issue(directory, GatewayClientName, ca, CertificateIdentity.Subject("exchange-gateway", "ExchangeGateway", TestOin(0)),
            ClientAuthentication, null, from);

    /// <summary>Adds the certificate in <paramref name="certificatePath"/> to the CA's CRL and signs it
    /// anew (the CRL number goes up). Returns the serial number, or null if it was already revoked.
    /// The CRL is replaced by a rename, so a gateway reloading it never reads half a file.</summary>
    public static string? Revoke(string directory, string certificatePath, DateTimeOffset? now = null)
    {
        using var ca = LoadCa(directory);
        using var certificate = X509Certificate2.CreateFromPem(File.ReadAllText(certificatePath));
        if (!certificate.IssuerName.RawData.AsSpan().SequenceEqual(ca.SubjectName.RawData))
        {
            throw new InvalidOperationException($"{certificatePath} was not issued by the development CA in {directory}.");
        }
        var crlPath = Path.Combine(directory, CrlFile);
        var serial = CertificateRevocationList.SerialKey(certificate.SerialNumberBytes.Span);
        var builder = new CertificateRevocationListBuilder();
        var number = System.Numerics.BigInteger.Zero;
        if (File.Exists(crlPath))
        {
            if (CertificateRevocationList.Load(crlPath).RevokedSerials.Contains(serial))
            {
                return null;
            }
            builder = CertificateRevocationListBuilder.LoadPem(File.ReadAllText(crlPath), out number);
        }
        var at = now ?? DateTimeOffset.UtcNow;
        // No reason code: the tool does not know why; a CRL entry without one means "unspecified".
        builder.AddEntry(certificate, at);
        WriteCrl(directory, ca, builder, number + 1, at);
        return serial;
    }

    /// <summary>Issues a client certificate (EKU clientAuth) for a new organisation with
    /// <paramref name="oin"/> in the subject's serialNumber, written as <c>&lt;id&gt;.crt/.key</c>.</summary>
    public static void IssueClient(string directory, string id, string name, string oin, DateTimeOffset? now = null)
    {
        using var ca = LoadCa(directory);
        Issue(directory, id, ca, CertificateIdentity.Subject(id, name, oin), ClientAuthentication, null, (now ?? DateTimeOffset.UtcNow).AddMinutes(-5));
    }

    private static void WriteCrl(string directory, X509Certificate2 ca, CertificateRevocationListBuilder builder,
        System.Numerics.BigInteger number, DateTimeOffset thisUpdate)
    {
        var crl = builder.Build(ca, number, thisUpdate.Add(CrlValidity), HashAlgorithmName.SHA256, thisUpdate: thisUpdate);
        var path = Path.Combine(directory, CrlFile);
        var temporary = path + ".tmp";
        File.WriteAllText(temporary, PemEncoding.WriteString("X509 CRL", crl));
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>Issues a certificate signed by <paramref name="ca"/> and writes it with its key.</summary>
    public static void Issue(string directory, string name, X509Certificate2 ca, X500DistinguishedName subject,
        string extendedKeyUsage, X509Extension? subjectAlternativeName, DateTimeOffset from, DateTimeOffset? until = null)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(extendedKeyUsage)], false));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, true, false));
        if (subjectAlternativeName is not null)
        {
            request.CertificateExtensions.Add(subjectAlternativeName);
        }
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F;
        var notAfter = until ?? from.AddYears(2);
        using var certificate = request.Create(ca, from, notAfter < ca.NotAfter ? notAfter : ca.NotAfter, serial);
        File.WriteAllText(CertificatePath(directory, name), certificate.ExportCertificatePem());
        WriteKey(KeyPath(directory, name), key);
    }

    /// <summary>Loads the CA with its key, to issue more certificates.</summary>
    public static X509Certificate2 LoadCa(string directory) =>
        X509Certificate2.CreateFromPemFile(Path.Combine(directory, CaFile), Path.Combine(directory, "ca.key"));

    private static void WriteKey(string path, ECDsa key)
    {
        File.WriteAllText(path, key.ExportPkcs8PrivateKeyPem());
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
    }
}
