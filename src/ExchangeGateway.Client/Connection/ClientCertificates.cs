using System.Security.Cryptography.X509Certificates;

namespace ExchangeGateway.Client.Connection;

/// <summary>Loads certificates from the files operators keep them in.</summary>
public static class ClientCertificates
{
    public static X509Certificate2 LoadPem(string certificatePath, string keyPath) =>
        X509Certificate2.CreateFromPemFile(certificatePath, keyPath);

    public static X509Certificate2 LoadPfx(string path, string? password) =>
        X509CertificateLoader.LoadPkcs12FromFile(path, password, X509KeyStorageFlags.EphemeralKeySet);

    public static X509Certificate2Collection LoadAnchors(string pemPath)
    {
        var anchors = new X509Certificate2Collection();
        anchors.ImportFromPemFile(pemPath);
        return anchors.Count > 0 ? anchors : throw new InvalidDataException($"{pemPath} holds no certificate.");
    }
}
