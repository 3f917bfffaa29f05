using System.Security.Cryptography.X509Certificates;
using ExchangeGateway.Client;
using ExchangeGateway.Client.Resilience;
using ExchangeGateway.Contracts.V1;
using ExchangeGateway.Server.Hosting;
using ExchangeGateway.Server.Storage;
using ExchangeGateway.Tests.Shared;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ExchangeGateway.Tests.Fixtures;

/// <summary>The gateway in-process on TestServer, on its own real SQLite file, with the development
/// PKI. Each call carries the client certificate of the organisation it is made for, so the same
/// identity code as on Kestrel decides who is calling.</summary>
public sealed class GatewayHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly TestServer _server;
    private readonly Dictionary<string, GrpcChannel> _channels = [];

    private readonly ErrorLogGuard _errors;

    private GatewayHost(WebApplication app, string databasePath, ErrorLogGuard errors)
    {
        _app = app;
        _errors = errors;
        _server = app.GetTestServer();
        DatabasePath = databasePath;
    }

    public string DatabasePath { get; }

    public IServiceProvider Services => _app.Services;

    public TimeProvider Time => Services.GetRequiredService<TimeProvider>();

    /// <summary>Starts a gateway. <paramref name="time"/> replaces the clock (e.g. a FakeTimeProvider);
    /// <paramref name="databasePath"/> reuses a file (to test a restart).</summary>
    public static async Task<GatewayHost> StartAsync(TimeProvider? time = null, string? databasePath = null, Action<GatewayOptions>? configure = null, ILoggerProvider? logs = null)
    {
        databasePath ??= Path.Combine(Directory.CreateTempSubdirectory("exgw-test-db-").FullName, "gateway.db");
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseTestServer();
        builder.Logging.ClearProviders();
        var errors = new ErrorLogGuard();
        builder.Logging.AddProvider(errors);
        if (logs is not null)
        {
            builder.Logging.AddProvider(logs).SetMinimumLevel(LogLevel.Trace);
        }
        if (time is not null)
        {
            builder.Services.AddSingleton(time);
        }
        builder.AddExchangeGateway(options =>
        {
            options.OrganisationRegistryPath = TestPki.RegistryPath;
            options.Tls.TrustAnchorsPath = TestPki.CaPath;
            options.Audit.KeyPath = TestPki.AuditKeyPath;
            options.Webhooks.ClientCertificatePath = TestPki.CertificatePath(Server.Identity.DevCertificateAuthority.GatewayClientName);
            options.Webhooks.ClientKeyPath = TestPki.KeyPath(Server.Identity.DevCertificateAuthority.GatewayClientName);
            options.Webhooks.TrustAnchorsPath = TestPki.CaPath;
            // A periodic job runs once for each move of the fake clock past its interval; with these
            // an hour apart, a test's own moves do not also set off reloads and sweeps it does not
            // look at (and cannot wait for). Tests of those jobs set their own intervals.
            options.FileReloadInterval = TimeSpan.FromHours(1);
            options.DeadlineSweepInterval = TimeSpan.FromHours(1);
            options.MunicipalityTableCheckInterval = TimeSpan.FromHours(1);
            options.Storage = new StorageOptions { ConnectionString = $"Data Source={databasePath}" };
            configure?.Invoke(options);
        });
        var app = builder.Build();
        app.MapExchangeGateway();
        await app.StartAsync();
        return new GatewayHost(app, databasePath, errors);
    }

    /// <summary>A channel whose calls present <paramref name="certificate"/> as client certificate.</summary>
    public GrpcChannel Channel(X509Certificate2? certificate) => ChannelOver(Handler(certificate));

    /// <summary>A channel over <paramref name="handler"/> (e.g. one that wraps <see cref="Handler"/> to inject faults).</summary>
    public GrpcChannel ChannelOver(HttpMessageHandler handler) =>
        GrpcChannel.ForAddress(_server.BaseAddress, new GrpcChannelOptions { HttpHandler = handler, DisposeHttpClient = true });

    /// <summary>The in-process HTTP handler whose requests present <paramref name="certificate"/> as client certificate.</summary>
    public HttpMessageHandler Handler(X509Certificate2? certificate) =>
        _server.CreateHandler(context => context.Connection.ClientCertificate = certificate);

    /// <summary>An HTTP client for the REST surface whose requests present the certificate of
    /// <paramref name="organisationId"/> (none when null).</summary>
    public HttpClient RestClient(string? organisationId) =>
        new(Handler(organisationId is null ? null : TestPki.Client(organisationId))) { BaseAddress = _server.BaseAddress };

    /// <summary>A channel for an organisation of the development set ("coa", "ind", "ketenregie",
    /// "gemeente-amsterdam", "gemeente-utrecht", "gemeente-groningen", "brp-drechtsteden").</summary>
    public GrpcChannel ChannelFor(string organisationId)
    {
        if (!_channels.TryGetValue(organisationId, out var channel))
        {
            channel = Channel(TestPki.Client(organisationId));
            _channels[organisationId] = channel;
        }
        return channel;
    }

    /// <summary>The SDK client for an organisation, with quick retries.</summary>
    public GatewayClient ClientFor(string organisationId) => new(ChannelFor(organisationId),
        new GatewayResilienceOptions { BaseDelay = TimeSpan.FromMilliseconds(10), MaxRetryAttempts = 3 });

    public ArrivalService.ArrivalServiceClient Arrivals(string organisationId = "coa") => new(ChannelFor(organisationId));

    public MunicipalityService.MunicipalityServiceClient Municipality(string organisationId = "gemeente-amsterdam") => new(ChannelFor(organisationId));

    public IndService.IndServiceClient Ind(string organisationId = "ind") => new(ChannelFor(organisationId));

    public NoticeFeed.NoticeFeedClient Feed(string organisationId) => new(ChannelFor(organisationId));

    /// <summary>A fresh database context, to check what was (not) stored.</summary>
    internal GatewayDbContext Db() => Services.GetRequiredService<GatewayDbContextFactory>().CreateDbContext();

    /// <summary>Errors the gateway logs that contain <paramref name="fragment"/> are what the test
    /// provokes; any other fails the test when the host is disposed.</summary>
    public void ExpectErrors(string fragment) => _errors.Expect(fragment);

    public async ValueTask DisposeAsync()
    {
        foreach (var channel in _channels.Values)
        {
            channel.Dispose();
        }
        await _app.StopAsync();
        await _app.DisposeAsync();
        var unexpected = _errors.Unexpected;
        Assert.True(unexpected.Count == 0, "The gateway logged errors the test did not expect:\n" + string.Join("\n", unexpected));
    }
}
