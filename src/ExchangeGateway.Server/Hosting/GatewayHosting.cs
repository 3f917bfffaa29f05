using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using ExchangeGateway.Server.Arrivals;
using ExchangeGateway.Server.Deadlines;
using ExchangeGateway.Server.Feed;
using ExchangeGateway.Server.Gateway;
using ExchangeGateway.Server.Identity;
using ExchangeGateway.Server.Ind;
using ExchangeGateway.Server.Limits;
using ExchangeGateway.Server.Municipalities;
using ExchangeGateway.Server.Rules;
using ExchangeGateway.Server.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace ExchangeGateway.Server.Hosting;

/// <summary>Puts the gateway into an ASP.NET Core application: <c>exgw serve</c> on Kestrel with
/// mutual TLS, the tests on TestServer.</summary>
public static class GatewayHosting
{
    /// <summary>Largest request the gateway reads (a full arrival is a few kilobytes).</summary>
    public const int MaxRequestBytes = 256 * 1024;

    public static WebApplicationBuilder AddExchangeGateway(this WebApplicationBuilder builder, Action<GatewayOptions>? configure = null)
    {
        var services = builder.Services;
        services.AddOptions<GatewayOptions>()
            .Bind(builder.Configuration.GetSection(GatewayOptions.Section))
            .PostConfigure(options => configure?.Invoke(options));
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(sp => new GatewayDbContextFactory(Options(sp).Storage));
        services.AddSingleton(sp => MunicipalityTable.Load(Options(sp).MunicipalityTablePath));
        services.AddSingleton(sp => OrganisationRegistry.Load(Options(sp).OrganisationRegistryPath
            ?? throw new InvalidOperationException("Gateway:OrganisationRegistryPath is not set: the gateway needs to know which OIN belongs to which organisation.")));
        services.AddSingleton(sp => new ClientCertificateValidator(
            ClientCertificateValidator.LoadAnchors(Options(sp).Tls.TrustAnchorsPath
                ?? throw new InvalidOperationException("Gateway:Tls:TrustAnchorsPath is not set: client certificates must chain to configured trust anchors.")),
            sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<CallerResolver>();
        services.AddSingleton<FeedHub>();
        services.AddSingleton<GatewayStore>();
        services.AddSingleton<Acknowledgements>();
        services.AddSingleton<ArrivalDetailsValidator>();
        services.AddHostedService<StorageStartup>();
        services.AddHostedService<IdempotencyCleanup>();
        services.AddSingleton<AcknowledgementDeadline>();
        services.AddHostedService<DeadlineMonitor>();
        services.AddHostedService<FeedHeadPoller>();
        services.AddHostedService<PostgresFeedListener>();
        services.AddGrpc(grpc =>
        {
            grpc.Interceptors.Add<CallerInterceptor>();
            grpc.Interceptors.Add<LimitsInterceptor>();
            grpc.MaxReceiveMessageSize = MaxRequestBytes;
            grpc.EnableDetailedErrors = false;
        });
        services.AddGatewayLimits();
        return builder;
    }

    public static WebApplication MapExchangeGateway(this WebApplication app)
    {
        app.UseMiddleware<CallDeadlineMiddleware>();
        app.MapGrpcService<ArrivalGrpcService>();
        app.MapGrpcService<MunicipalityGrpcService>();
        app.MapGrpcService<IndGrpcService>();
        app.MapGrpcService<NoticeFeedGrpcService>();
        app.MapGrpcService<GatewayGrpcService>();
        return app;
    }

    /// <summary>Kestrel with HTTP/2 over TLS 1.2+ (forward-secret suites only), a required client
    /// certificate checked against the configured trust anchors, and keepalive pings so dead peers
    /// on long-lived streams are noticed.</summary>
    public static WebApplicationBuilder UseMutualTls(this WebApplicationBuilder builder)
    {
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            var options = Options(kestrel.ApplicationServices);
            var validator = kestrel.ApplicationServices.GetRequiredService<ClientCertificateValidator>();
            var certificate = X509Certificate2.CreateFromPemFile(
                options.Tls.CertificatePath ?? throw new InvalidOperationException("Gateway:Tls:CertificatePath is not set."),
                options.Tls.KeyPath ?? throw new InvalidOperationException("Gateway:Tls:KeyPath is not set."));
            kestrel.AddServerHeader = false;
            kestrel.Limits.Http2.KeepAlivePingDelay = TimeSpan.FromSeconds(30);
            kestrel.Limits.Http2.KeepAlivePingTimeout = TimeSpan.FromSeconds(20);
            KestrelLimits.Apply(kestrel.Limits, options.Limits);
            kestrel.ConfigureEndpointDefaults(listen => listen.Protocols = HttpProtocols.Http2);
            kestrel.ConfigureHttpsDefaults(https =>
            {
                https.ServerCertificate = certificate;
                https.SslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13;
                https.ClientCertificateMode = ClientCertificateMode.RequireCertificate;
                https.ClientCertificateValidation = (client, chain, _) => validator.Validate(client, chain?.ChainPolicy.ExtraStore) is null;
                https.OnAuthenticate = (_, ssl) =>
                {
                    if (OperatingSystem.IsLinux() || OperatingSystem.IsMacOS())
                    {
                        ssl.CipherSuitesPolicy = ForwardSecrecy.Suites;
                    }
                };
            });
        });
        return builder;
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
