using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;

namespace ExchangeGateway.Server.Health;

/// <summary>The management listener: <c>/livez</c>, <c>/readyz</c> and <c>/metrics</c> over plain
/// HTTP/1.1 without a client certificate, on an address of its own. It is a separate server with an
/// empty configuration (nothing of the gateway's Kestrel settings, endpoints or gRPC services), so the
/// port that needs no certificate can serve nothing else. It starts before the gateway listens
/// (readiness says "not ready" until storage is migrated) and stops after it (readiness goes down
/// first, see <see cref="StoppingReadiness"/>).</summary>
internal sealed partial class ManagementListener(
    IServiceProvider gateway,
    IOptions<GatewayOptions> options,
    ILogger<ManagementListener> logger) : IHostedService, IAsyncDisposable
{
    private WebApplication? _app;

    /// <summary>The addresses it listens on (a port 0 resolved); empty when it is off.</summary>
    public IReadOnlyList<string> Addresses =>
        _app is null ? [] : [.. _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? []];

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var management = options.Value.Management;
        if (string.IsNullOrWhiteSpace(management.Urls))
        {
            return;
        }
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.Services.AddSingleton(gateway.GetRequiredService<ILoggerFactory>());
        builder.Services.AddRoutingCore();
        // The gateway's host owns the process's signals: on SIGTERM this listener keeps answering
        // (readiness down) until the gateway has drained and stops it.
        builder.Services.AddSingleton<IHostLifetime, OwnedLifetime>();
        builder.WebHost.UseKestrelCore();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.ConfigureEndpointDefaults(listen => listen.Protocols = HttpProtocols.Http1);
        });
        builder.WebHost.UseUrls(management.Urls);
        var app = builder.Build();

        var health = gateway.GetRequiredService<HealthCheckService>();
        var meters = gateway.GetRequiredService<MeterProvider>();
        app.UseOpenTelemetryPrometheusScrapingEndpoint(meters, context => context.Request.Path == "/metrics", null,
            branch => branch.Use((context, next) => Authorized(context, management.MetricsBearerToken) ? next(context) : Refuse(context)), null);
        app.UseRouting();
        app.MapGet("/livez", () => Results.Text("live\n"));
        app.MapGet("/readyz", async (CancellationToken cancellationToken) =>
        {
            var report = await health.CheckHealthAsync(cancellationToken);
            var text = new StringBuilder(report.Status == HealthStatus.Healthy ? "ready\n" : "not ready\n");
            foreach (var (name, entry) in report.Entries)
            {
                text.Append(name).Append(": ").Append(entry.Status == HealthStatus.Healthy ? "ok" : entry.Description ?? entry.Status.ToString()).Append('\n');
            }
            return Results.Text(text.ToString(), statusCode: report.Status == HealthStatus.Healthy ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
        });
        await app.StartAsync(cancellationToken);
        _app = app;
        var addresses = string.Join(", ", Addresses);
        LogListening(logger, addresses);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_app is not null)
        {
            await _app.StopAsync(cancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }

    private static bool Authorized(HttpContext context, string? token)
    {
        if (string.IsNullOrEmpty(token))
        {
            return true;
        }
        var header = context.Request.Headers.Authorization.ToString();
        const string Scheme = "Bearer ";
        return header.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase)
            && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(header[Scheme.Length..].Trim()), Encoding.UTF8.GetBytes(token));
    }

    private static Task Refuse(HttpContext context)
    {
        context.Response.StatusCode = StatusCodes.Status401Unauthorized;
        context.Response.Headers.WWWAuthenticate = "Bearer";
        return Task.CompletedTask;
    }

    /// <summary>A lifetime that neither listens to signals nor prints status lines.</summary>
    private sealed class OwnedLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }

    [LoggerMessage(EventId = 6001, Level = LogLevel.Information, Message = "Management listener on {Addresses} (/livez, /readyz, /metrics; no client certificate).")]
    private static partial void LogListening(ILogger logger, string addresses);
}
