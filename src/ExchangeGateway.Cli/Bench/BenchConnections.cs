using System.Collections.Concurrent;
using ExchangeGateway.Client;
using ExchangeGateway.Client.Connection;

namespace ExchangeGateway.Cli.Bench;

/// <summary>One <see cref="GatewayClient"/> (one GrpcChannel over mutual TLS, as the SDK makes it)
/// per organisation, created on first use against one running gateway.</summary>
internal sealed class BenchConnections(BenchPki pki, Uri address) : IDisposable
{
    private readonly ConcurrentDictionary<string, Lazy<GatewayClient>> _clients = new(StringComparer.Ordinal);

    public GatewayClient For(string organisationId) => _clients.GetOrAdd(organisationId, id => new Lazy<GatewayClient>(() =>
        new GatewayClient(GatewayConnectionOptions.FromPem(address, pki.CertificatePath(id), pki.KeyPath(id), pki.CaPath)))).Value;

    public void Dispose()
    {
        foreach (var client in _clients.Values.Where(c => c.IsValueCreated))
        {
            client.Value.Dispose();
        }
        _clients.Clear();
    }
}
