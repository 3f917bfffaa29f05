using System.Security.Cryptography.X509Certificates;

namespace ExchangeGateway.Client.Connection;

/// <summary>Where the gateway is and how this organisation proves who it is.</summary>
public sealed class GatewayConnectionOptions
{
    /// <summary>The gateway's address, e.g. https://gateway.example.nl:5443.</summary>
    public required Uri Address { get; init; }

    /// <summary>This organisation's certificate with its private key (the OIN in its subject's serialNumber).</summary>
    public required X509Certificate2 ClientCertificate { get; init; }

    /// <summary>The CA certificates the gateway's server certificate must chain to. Only these are
    /// trusted, not the machine's store.</summary>
    public required X509Certificate2Collection ServerTrustAnchors { get; init; }

    /// <summary>How often an idle connection is pinged, so a dead gateway is noticed on a quiet stream.</summary>
    public TimeSpan KeepAlivePingDelay { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a ping may go unanswered before the connection is dropped.</summary>
    public TimeSpan KeepAlivePingTimeout { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>Loads the client certificate from PEM files and the server trust anchors from a PEM file.</summary>
    public static GatewayConnectionOptions FromPem(Uri address, string certificatePath, string keyPath, string trustAnchorsPath) => new()
    {
        Address = address,
        ClientCertificate = ClientCertificates.LoadPem(certificatePath, keyPath),
        ServerTrustAnchors = ClientCertificates.LoadAnchors(trustAnchorsPath),
    };

    /// <summary>Loads the client certificate from a PFX (PKCS#12) file and the trust anchors from PEM.</summary>
    public static GatewayConnectionOptions FromPfx(Uri address, string pfxPath, string? password, string trustAnchorsPath) => new()
    {
        Address = address,
        ClientCertificate = ClientCertificates.LoadPfx(pfxPath, password),
        ServerTrustAnchors = ClientCertificates.LoadAnchors(trustAnchorsPath),
    };
}
