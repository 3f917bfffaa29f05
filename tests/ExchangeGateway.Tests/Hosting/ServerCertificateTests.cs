using System.Security.Cryptography;
using ExchangeGateway.Server.Hosting;
using ExchangeGateway.Server.Identity;
using ExchangeGateway.Tests.Shared;

namespace ExchangeGateway.Tests.Hosting;

public sealed class ServerCertificateTests : IDisposable
{
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("exgw-server-cert-");

    public void Dispose() => _directory.Delete(recursive: true);

    private static string Certificate => TestPki.CertificatePath(DevCertificateAuthority.ServerName);

    private static string Key => TestPki.KeyPath(DevCertificateAuthority.ServerName);

    [Fact]
    public void Load_DevServerCertificate_HasKeyAndTlsContext()
    {
        var server = ServerCertificate.Load(Certificate, Key, DateTimeOffset.UtcNow);

        Assert.True(server.Certificate.HasPrivateKey);
        Assert.Equal(server.Certificate.Thumbprint, server.Context.TargetCertificate.Thumbprint);
    }

    [Fact]
    public void Load_KeyOfAnotherCertificate_Throws()
    {
        // What a reload sees between replacing the certificate and replacing its key.
        var otherKey = Path.Combine(_directory.FullName, "other.key");
        using (var key = ECDsa.Create(ECCurve.NamedCurves.nistP256))
        {
            File.WriteAllText(otherKey, key.ExportPkcs8PrivateKeyPem());
        }

        Assert.ThrowsAny<Exception>(() => ServerCertificate.Load(Certificate, otherKey, DateTimeOffset.UtcNow));
    }

    [Fact]
    public void Load_ExpiredCertificate_Throws()
    {
        Assert.Throws<InvalidDataException>(() => ServerCertificate.Load(Certificate, Key, DateTimeOffset.UtcNow.AddYears(3)));
    }

    [Fact]
    public void FileBackedValue_KeyReplacedBeforeCertificate_KeepsOldPairUntilBothMatch()
    {
        var certificate = Path.Combine(_directory.FullName, "server.crt");
        var key = Path.Combine(_directory.FullName, "server.key");
        File.Copy(Certificate, certificate);
        File.Copy(Key, key);
        var value = new FileBackedValue<ServerCertificate>("server certificate", [certificate, key],
            () => ServerCertificate.Load(certificate, key, DateTimeOffset.UtcNow), Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        var before = value.Current.Certificate.Thumbprint;
        var renewed = Directory.CreateDirectory(Path.Combine(_directory.FullName, "renewed")).FullName;
        using (var ca = DevCertificateAuthority.LoadCa(TestPki.Directory))
        {
            DevCertificateAuthority.Issue(renewed, "server", ca, new System.Security.Cryptography.X509Certificates.X500DistinguishedName("CN=localhost"),
                "1.3.6.1.5.5.7.3.1", null, DateTimeOffset.UtcNow.AddMinutes(-1));
        }

        File.Copy(Path.Combine(renewed, "server.key"), key, overwrite: true);
        Assert.False(value.Refresh());
        Assert.Equal(before, value.Current.Certificate.Thumbprint);

        File.Copy(Path.Combine(renewed, "server.crt"), certificate, overwrite: true);
        Assert.True(value.Refresh());
        Assert.NotEqual(before, value.Current.Certificate.Thumbprint);
    }
}
