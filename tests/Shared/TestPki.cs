using System.Security.Cryptography.X509Certificates;
using ExchangeGateway.Server.Audit;
using ExchangeGateway.Server.Identity;

namespace ExchangeGateway.Tests.Shared;

/// <summary>Development certificates generated once per test process, plus a second, untrusted CA
/// that issues a certificate carrying COA's OIN (to prove that only the configured anchors count).</summary>
internal static class TestPki
{
    private static readonly Lazy<string> Generated = new(() =>
    {
        var directory = System.IO.Directory.CreateTempSubdirectory("exgw-test-pki-").FullName;
        DevCertificateAuthority.Generate(directory);
        var foreign = Path.Combine(directory, "foreign");
        DevCertificateAuthority.Generate(foreign);
        AuditKey.CreateFileIfMissing(Path.Combine(directory, "audit.key"));
        return directory;
    });

    public static string Directory => Generated.Value;

    public static string ForeignDirectory => Path.Combine(Generated.Value, "foreign");

    public static string CaPath => Path.Combine(Directory, DevCertificateAuthority.CaFile);

    public static string RegistryPath => Path.Combine(Directory, DevCertificateAuthority.RegistryFile);

    public static string AuditKeyPath => Path.Combine(Directory, "audit.key");

    public static string CertificatePath(string name) => DevCertificateAuthority.CertificatePath(Directory, name);

    public static string KeyPath(string name) => DevCertificateAuthority.KeyPath(Directory, name);

    /// <summary>The client certificate (with key) of an organisation of the development set.</summary>
    public static X509Certificate2 Client(string organisationId) => X509Certificate2.CreateFromPemFile(CertificatePath(organisationId), KeyPath(organisationId));

    /// <summary>A certificate with COA's OIN, issued by a CA the gateway does not trust.</summary>
    public static X509Certificate2 ForeignClient(string organisationId) => X509Certificate2.CreateFromPemFile(
        DevCertificateAuthority.CertificatePath(ForeignDirectory, organisationId), DevCertificateAuthority.KeyPath(ForeignDirectory, organisationId));
}
