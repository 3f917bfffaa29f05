using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace ExchangeGateway.Server.Hosting;

/// <summary>The server's certificate with its key, and the TLS context built from it once (with the
/// intermediates that follow it in the PEM file), so every handshake after a reload presents the new
/// certificate and chain without building either again.</summary>
internal sealed class ServerCertificate
{
    private ServerCertificate(X509Certificate2 certificate, SslStreamCertificateContext context)
    {
        Certificate = certificate;
        Context = context;
    }

    public X509Certificate2 Certificate { get; }

    public SslStreamCertificateContext Context { get; }

    public static ServerCertificate Load(string certificatePath, string keyPath, DateTimeOffset now)
    {
        // Throws when the key does not match the certificate: a certificate replaced before its key
        // (or the other way round) is not taken until both files belong together.
        var certificate = X509Certificate2.CreateFromPemFile(certificatePath, keyPath);
        var chain = new X509Certificate2Collection();
        chain.ImportFromPemFile(certificatePath);
        var intermediates = new X509Certificate2Collection(chain.Where(c => c.Thumbprint != certificate.Thumbprint).ToArray());
        if (certificate.NotAfter.ToUniversalTime() <= now.UtcDateTime)
        {
            throw new InvalidDataException($"Server certificate {certificatePath} expired on {certificate.NotAfter.ToUniversalTime():u}.");
        }
        // offline: the chain is what the file holds; no fetching of intermediates at run time.
        return new ServerCertificate(certificate, SslStreamCertificateContext.Create(certificate, intermediates, offline: true));
    }
}
