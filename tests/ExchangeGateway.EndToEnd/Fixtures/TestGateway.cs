using ExchangeGateway.Client;
using ExchangeGateway.Client.Connection;
using ExchangeGateway.Client.Resilience;
using ExchangeGateway.Server.Identity;
using ExchangeGateway.Tests.Shared;

namespace ExchangeGateway.EndToEnd.Fixtures;

/// <summary>The tests' way to start the CLI's <see cref="GatewayProcess"/>: the shared test PKI, a fresh
/// SQLite file in a temporary directory of its own (removed afterwards), and SDK clients for it.</summary>
public static class TestGateway
{
    /// <summary>Retries that give up within seconds, so a failing test fails fast.</summary>
    public static GatewayResilienceOptions QuickRetries { get; } = new()
    {
        BaseDelay = TimeSpan.FromMilliseconds(50),
        MaxDelay = TimeSpan.FromSeconds(1),
        MaxRetryAttempts = 3,
    };

    /// <summary>Starts a gateway with <paramref name="certificatesDirectory"/> (the shared test PKI when
    /// null) on a fresh SQLite database, or on the PostgreSQL database <paramref name="postgres"/>.</summary>
    public static Task<GatewayProcess> StartAsync(string? certificatesDirectory = null, string? postgres = null, IReadOnlyList<string>? arguments = null,
        IReadOnlyDictionary<string, string>? environment = null) => GatewayProcess.StartAsync(new GatewayProcessOptions
        {
            CertificatesDirectory = certificatesDirectory ?? TestPki.Directory,
            DatabasePath = Path.Combine(Directory.CreateTempSubdirectory("exgw-e2e-").FullName, "gateway.db"),
            Postgres = postgres,
            Arguments = arguments ?? [],
            Environment = environment ?? new Dictionary<string, string>(),
            DeleteDirectoryOnDispose = true,
        });

    /// <summary>Connection options for an organisation of the development PKI.</summary>
    public static GatewayConnectionOptions ConnectionFor(this GatewayProcess gateway, string organisationId) => GatewayConnectionOptions.FromPem(
        gateway.Address,
        DevCertificateAuthority.CertificatePath(gateway.CertificatesDirectory, organisationId),
        DevCertificateAuthority.KeyPath(gateway.CertificatesDirectory, organisationId),
        Path.Combine(gateway.CertificatesDirectory, DevCertificateAuthority.CaFile));

    /// <summary>The SDK client for an organisation, over real mutual TLS, with quick retries.</summary>
    public static GatewayClient ClientFor(this GatewayProcess gateway, string organisationId) => new(gateway.ConnectionFor(organisationId), QuickRetries);
}

/// <summary>One gateway process shared by the tests of a class (each test uses its own case
/// references and V-numbers). Tests that kill the gateway start their own.</summary>
public sealed class GatewayProcessFixture : IAsyncLifetime
{
    private GatewayProcess? _gateway;

    public GatewayProcess Gateway => _gateway ?? throw new InvalidOperationException("Not started.");

    public async Task InitializeAsync() => _gateway = await TestGateway.StartAsync();

    public async Task DisposeAsync()
    {
        if (_gateway is not null)
        {
            await _gateway.DisposeAsync();
        }
    }
}
