using System.Net.Security;
using System.Security.Authentication;
using ExchangeGateway.Server.Arrivals;
using ExchangeGateway.Server.Audit;
using ExchangeGateway.Server.Chain;
using ExchangeGateway.Server.Deadlines;
using ExchangeGateway.Server.Feed;
using ExchangeGateway.Server.Gateway;
using ExchangeGateway.Server.Health;
using ExchangeGateway.Server.Ind;
using ExchangeGateway.Server.Merges;
using ExchangeGateway.Server.Limits;
using ExchangeGateway.Server.Municipalities;
using ExchangeGateway.Server.Observability;
using ExchangeGateway.Server.Rest;
using ExchangeGateway.Server.Rules;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ExchangeGateway.Server.Hosting;

/// <summary>Puts the gateway into an ASP.NET Core application: <c>exgw serve</c> on Kestrel with
/// mutual TLS, the tests on TestServer.</summary>
public static partial class GatewayHosting
{
    /// <summary>Largest request the gateway reads (a full arrival is a few kilobytes).</summary>
    public const int MaxRequestBytes = 256 * 1024;

    public static WebApplicationBuilder AddExchangeGateway(this WebApplicationBuilder builder, Action<GatewayOptions>? configure = null)
    {
        var services = builder.Services;
        services.AddOptions<GatewayOptions>()
            .Bind(builder.Configuration.GetSection(GatewayOptions.Section))
            .PostConfigure(options => configure?.Invoke(options))
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<GatewayOptions>, GatewayOptionsValidator>();
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(sp => new GatewayDbContextFactory(Options(sp).Storage));
        // Replaceable on disk: whatever checks a code reads MunicipalityTableFile.Current when it checks.
        services.AddSingleton(sp => new MunicipalityTableFile(Options(sp).MunicipalityTablePath, sp.GetRequiredService<ILogger<MunicipalityTableFile>>()));
        services.AddSingleton(sp => new FileBackedValue<OrganisationRegistry>("organisation registry",
            [RegistryPath(sp)], () => OrganisationRegistry.Load(RegistryPath(sp)), Logger(sp), Reloaded(sp, "registry")));
        services.AddSingleton(sp => new FileBackedValue<TrustMaterial>("trust anchors and CRLs",
            [AnchorsPath(sp), .. Options(sp).Tls.CrlPaths], () => LoadTrust(sp), Logger(sp), Reloaded(sp, "trust")));
        services.AddSingleton<IReloadable>(sp => sp.GetRequiredService<FileBackedValue<OrganisationRegistry>>());
        services.AddSingleton<IReloadable>(sp => sp.GetRequiredService<FileBackedValue<TrustMaterial>>());
        services.AddSingleton(sp =>
        {
            var trust = sp.GetRequiredService<FileBackedValue<TrustMaterial>>();
            return new ClientCertificateValidator(() => trust.Current, sp.GetRequiredService<TimeProvider>());
        });
        services.AddSingleton<CallerResolver>();
        services.AddSingleton(sp => AuditKey.Load(Options(sp).Audit.KeyPath
            ?? throw new InvalidOperationException("Gateway:Audit:KeyPath is not set: the audit log stores data subjects under a key kept outside the database.")));
        services.AddSingleton<FeedAccessMonitor>();
        services.AddSingleton<IReloadObserver>(sp => sp.GetRequiredService<FeedAccessMonitor>());
        services.AddSingleton<FileReloader>();
        services.AddHostedService(sp => sp.GetRequiredService<FileReloader>());
        services.AddSingleton<FeedHub>();
        services.AddSingleton<GatewayStore>();
        services.AddSingleton<AcknowledgementWriter>();
        services.AddSingleton<ArrivalDetailsValidator>();
        services.AddSingleton<StorageStartup>();
        services.AddHostedService(sp => sp.GetRequiredService<StorageStartup>());
        services.AddHostedService<IdempotencyCleanup>();
        Retention.RetentionRegistration.AddPersonalDataRetention(services);
        services.AddSingleton<AcknowledgementDeadline>();
        services.AddSingleton<ObligationDeadlines>();
        services.AddHostedService<DeadlineMonitor>();
        services.AddSingleton<Dashboard.DashboardSessions>();
        services.AddSingleton(_ => Dashboard.MunicipalityMap.Load());
        services.AddSingleton<FeedStatusReporter>();
        services.AddHostedService(sp => sp.GetRequiredService<FeedStatusReporter>());
        services.AddSingleton<FeedLeases>();
        services.AddHostedService(sp => sp.GetRequiredService<FeedLeases>());
        services.AddHostedService<FeedHeadPoller>();
        services.AddHostedService<PostgresFeedListener>();
        services.AddSingleton<MergedMunicipalityMoves>();
        services.AddHostedService<MunicipalityTableMonitor>();
        services.AddSingleton<IdentifierConflicts>();
        AddUseCases(services);
        services.AddSingleton<Webhooks.WebhookTransport>();
        services.AddSingleton<IReloadable>(sp => sp.GetRequiredService<Webhooks.WebhookTransport>());
        services.AddSingleton<Webhooks.WebhookParking>();
        services.AddSingleton<Webhooks.WebhookServices>();
        services.AddSingleton<Webhooks.WebhookDispatcher>();
        services.AddSingleton<IReloadObserver>(sp => sp.GetRequiredService<Webhooks.WebhookDispatcher>());
        services.AddHostedService(sp => sp.GetRequiredService<Webhooks.WebhookDispatcher>());
        services.AddGatewayTelemetry(builder.Configuration);
        // Listed explicitly: the discovery of AddGrpcReflection finds only services derived from a
        // generated base class, and NoticeFeed is bound by hand (see NoticeFeedGrpcService). The unary
        // services are the REST surface's list, so a new service is added in one place.
        services.AddSingleton(new Grpc.Reflection.ReflectionServiceImpl(
            [.. OpenApiDocument.Services, Contracts.V1.NoticeFeed.Descriptor, Grpc.Health.V1.Health.Descriptor, Grpc.Reflection.V1Alpha.ServerReflection.Descriptor]));
        services.AddGrpcReflection();
        services.AddGrpc(grpc =>
        {
            grpc.Interceptors.Add<MetricsInterceptor>();
            grpc.Interceptors.Add<CallerInterceptor>();
            grpc.Interceptors.Add<LimitsInterceptor>();
            grpc.Interceptors.Add<AuditInterceptor>();
            grpc.MaxReceiveMessageSize = MaxRequestBytes;
            grpc.EnableDetailedErrors = false;
        }).AddJsonTranscoding(rest => rest.TypeRegistry = Problems.Details);
        services.AddGatewayLimits();
        return builder;
    }

    private static readonly OrganisationRole[] Everyone =
        [OrganisationRole.Coa, OrganisationRole.Ind, OrganisationRole.ChainCoordination, OrganisationRole.Municipality];

    public static WebApplication MapExchangeGateway(this WebApplication app)
    {
        app.UseMiddleware<RefusedCertificateMiddleware>();
        app.UseMiddleware<Dashboard.DashboardMiddleware>();
        app.UseMiddleware<RestSurfaceMiddleware>();
        app.UseMiddleware<CallDeadlineMiddleware>();
        app.MapGrpcService<ArrivalGrpcService>();
        app.MapGrpcService<MunicipalityGrpcService>();
        app.MapGrpcService<IndGrpcService>();
        app.MapGrpcService<ChainGrpcService>();
        app.MapGrpcService<NoticeFeedGrpcService>();
        app.MapGrpcService<PullFeedGrpcService>();
        app.MapGrpcService<Webhooks.WebhookGrpcService>();
        app.MapGrpcService<GatewayGrpcService>();
        // Library services: their policy is added to their endpoints, as it stands on our handlers.
        app.MapGrpcHealthChecksService().WithMetadata(new AllowAttribute(Everyone), new OperationalAttribute());
        var openApi = OpenApiDocument.Committed();
        app.MapGet(OpenApiDocument.Path, () => Results.Bytes(openApi, "application/json"));
        if (Options(app.Services).Reflection)
        {
            app.MapGrpcReflectionService().WithMetadata(new AllowAttribute(Everyone), new OperationalAttribute());
        }
        MethodPolicyCheck.Verify(app, [.. OpenApiDocument.Services, Contracts.V1.NoticeFeed.Descriptor]);
        return app;
    }

    /// <summary>The management listener (probes and metrics, no client certificate), for a gateway
    /// on Kestrel; see <see cref="ManagementListener"/>.</summary>
    public static WebApplicationBuilder AddManagementListener(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<ManagementListener>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<ManagementListener>());
        return builder;
    }

    /// <summary>Where the management listener listens (empty when it is off or not added).</summary>
    public static IReadOnlyList<string> ManagementAddresses(this WebApplication app) =>
        app.Services.GetService<ManagementListener>()?.Addresses ?? [];

    /// <summary>Kestrel with HTTP/2 over TLS 1.2+ (forward-secret suites only), a required client
    /// certificate checked against the configured trust anchors and CRLs, and keepalive pings so dead
    /// peers on long-lived streams are noticed. The server certificate is read from disk again when it
    /// changes: each new connection presents the one in effect.</summary>
    public static WebApplicationBuilder UseMutualTls(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton(sp => new FileBackedValue<ServerCertificate>("server certificate",
            [CertificatePath(sp), KeyPath(sp)],
            () => ServerCertificate.Load(CertificatePath(sp), KeyPath(sp), sp.GetRequiredService<TimeProvider>().GetUtcNow()),
            Logger(sp), Reloaded(sp, "server_certificate")));
        builder.Services.AddSingleton<IReloadable>(sp => sp.GetRequiredService<FileBackedValue<ServerCertificate>>());
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            var validator = kestrel.ApplicationServices.GetRequiredService<ClientCertificateValidator>();
            var server = kestrel.ApplicationServices.GetRequiredService<FileBackedValue<ServerCertificate>>();
            var logger = kestrel.ApplicationServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(ClientCertificateValidator).FullName!);
            kestrel.AddServerHeader = false;
            kestrel.Limits.Http2.KeepAlivePingDelay = TimeSpan.FromSeconds(30);
            kestrel.Limits.Http2.KeepAlivePingTimeout = TimeSpan.FromSeconds(20);
            KestrelLimits.Apply(kestrel.Limits, Options(kestrel.ApplicationServices).Limits);
            // HTTP/1.1 beside HTTP/2 for the REST surface (ALPN picks); gRPC needs HTTP/2 and gets it.
            kestrel.ConfigureEndpointDefaults(listen => listen.Protocols = HttpProtocols.Http1AndHttp2);
            kestrel.ConfigureHttpsDefaults(https =>
            {
                // Kestrel requires a certificate up front; OnAuthenticate replaces it per connection
                // with the one in effect, so a rotated certificate needs no restart.
                https.ServerCertificate = server.Current.Certificate;
                https.SslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13;
                // Any certificate, or none, completes the handshake: a refused one is answered
                // UNAUTHENTICATED on its first call and the connection closed (RefusedCertificateMiddleware),
                // since a refused handshake closes without a TLS alert and clients retry it as an outage.
                https.ClientCertificateMode = ClientCertificateMode.AllowCertificate;
                https.ClientCertificateValidation = (client, chain, _) =>
                {
                    // Validated here with the intermediates the client sent; the verdict is cached for the middleware.
                    if (validator.Validate(client, chain?.ChainPolicy.ExtraStore) is { } failure)
                    {
                        LogHandshakeRefused(logger, client.Thumbprint, failure);
                    }
                    return true;
                };
                https.OnAuthenticate = (_, ssl) =>
                {
                    var current = server.Current;
                    ssl.ServerCertificate = current.Certificate;
                    ssl.ServerCertificateContext = current.Context;
                    if (OperatingSystem.IsLinux() || OperatingSystem.IsMacOS())
                    {
                        ssl.CipherSuitesPolicy = ForwardSecrecy.Suites;
                    }
                };
            });
        });
        return builder;
    }

    private static TrustMaterial LoadTrust(IServiceProvider services)
    {
        var options = Options(services);
        var trust = TrustMaterial.Load(AnchorsPath(services), [.. options.Tls.CrlPaths]);
        var now = services.GetRequiredService<TimeProvider>().GetUtcNow();
        foreach (var crl in trust.RevocationLists.Where(c => c.NextUpdate < now))
        {
            // Still applied (what it revokes stays revoked), but the CA has published a newer one.
            LogStaleCrl(Logger(services), crl.Issuer.Name, crl.NextUpdate!.Value);
        }
        return trust;
    }

    private static string RegistryPath(IServiceProvider services) => Options(services).OrganisationRegistryPath
        ?? throw new InvalidOperationException("Gateway:OrganisationRegistryPath is not set: the gateway needs to know which OIN belongs to which organisation.");

    private static string AnchorsPath(IServiceProvider services) => Options(services).Tls.TrustAnchorsPath
        ?? throw new InvalidOperationException("Gateway:Tls:TrustAnchorsPath is not set: client certificates must chain to configured trust anchors.");

    private static string CertificatePath(IServiceProvider services) => Options(services).Tls.CertificatePath
        ?? throw new InvalidOperationException("Gateway:Tls:CertificatePath is not set.");

    private static string KeyPath(IServiceProvider services) => Options(services).Tls.KeyPath
        ?? throw new InvalidOperationException("Gateway:Tls:KeyPath is not set.");

    private static ILogger Logger(IServiceProvider services) =>
        services.GetRequiredService<ILoggerFactory>().CreateLogger("ExchangeGateway.Server.Hosting.FileReloader");

    private static Action<bool> Reloaded(IServiceProvider services, string file)
    {
        var reloads = services.GetRequiredService<GatewayMetrics>().Reloads;
        return took => reloads.Add(1, new KeyValuePair<string, object?>("file", file), new KeyValuePair<string, object?>("outcome", took ? "reloaded" : "rejected"));
    }

    // The thumbprint identifies the certificate without naming anyone; the reason is the validator's, free of personal data.
    [LoggerMessage(EventId = 7003, Level = LogLevel.Warning, Message = "Client certificate {Thumbprint} admitted to the TLS handshake only to refuse its calls with UNAUTHENTICATED: {Reason}.")]
    private static partial void LogHandshakeRefused(ILogger logger, string thumbprint, string reason);

    [LoggerMessage(EventId = 7004, Level = LogLevel.Warning, Message = "The CRL of {Issuer} is past its next update ({NextUpdate:u}); it is still applied, but load the CA's newer CRL.")]
    private static partial void LogStaleCrl(ILogger logger, string issuer, DateTimeOffset nextUpdate);

    /// <summary>Every mutating RPC's use case (<see cref="UseCase{TRequest, TResponse}"/>), found by type
    /// so that a new one needs no line here.</summary>
    private static void AddUseCases(IServiceCollection services)
    {
        foreach (var type in typeof(GatewayHosting).Assembly.GetTypes().Where(t => t is { IsClass: true, IsAbstract: false } && IsUseCase(t)))
        {
            services.AddSingleton(type);
        }

        static bool IsUseCase(Type? type)
        {
            for (; type is not null; type = type.BaseType)
            {
                if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(UseCase<,>))
                {
                    return true;
                }
            }
            return false;
        }
    }

    private static GatewayOptions Options(IServiceProvider services) => services.GetRequiredService<IOptions<GatewayOptions>>().Value;

    /// <summary>TLS 1.3 suites and the ECDHE suites of TLS 1.2 with AEAD ciphers: forward secrecy only.</summary>
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    private static class ForwardSecrecy
    {
        public static readonly CipherSuitesPolicy Suites = new(
        [
            TlsCipherSuite.TLS_AES_256_GCM_SHA384,
            TlsCipherSuite.TLS_AES_128_GCM_SHA256,
            TlsCipherSuite.TLS_CHACHA20_POLY1305_SHA256,
            TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
            TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
            TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
            TlsCipherSuite.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
            TlsCipherSuite.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
            TlsCipherSuite.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
        ]);
    }
}
