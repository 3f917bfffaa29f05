using System.Security.Cryptography;
using ExchangeGateway.Client.Connection;

namespace ExchangeGateway.Cli;

/// <summary>The connection of a client command (<c>announce</c>, <c>status</c>): the gateway's address
/// and the organisation's certificate, key and trust anchors, each mistake reported as one line.</summary>
internal static class ClientCertificates
{
    public static GatewayConnectionOptions Load(string address, string certificate, string key, string anchors)
    {
        if (!Uri.TryCreate(address, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttps)
        {
            throw new UsageException($"'{address}' is not an https:// address (--address).");
        }
        try
        {
            return GatewayConnectionOptions.FromPem(uri, certificate, key, anchors);
        }
        catch (Exception exception) when (exception is IOException or CryptographicException or InvalidDataException)
        {
            throw new UsageException($"cannot load the certificates ({exception.Message.TrimEnd('.')}). For development run 'exgw certs init' first.");
        }
    }
}
