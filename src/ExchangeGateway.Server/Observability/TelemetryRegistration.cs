using ExchangeGateway.Contracts.V1;
using ExchangeGateway.Server.Health;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace ExchangeGateway.Server.Observability;

/// <summary>Health checks, metrics and traces. Metrics are read by Prometheus from the management
/// listener; traces (and metrics too) go to an OpenTelemetry collector when the standard
/// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set (the other <c>OTEL_*</c> variables apply as usual).</summary>
internal static class TelemetryRegistration
{
    /// <summary>The checks a service that stores or reads depends on (and Ping does not).</summary>
    private const string StorageTag = "storage";

    public static void AddGatewayTelemetry(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton<GatewayMetrics>();
        services.AddSingleton<FeedGauges>();
        services.AddHostedService(sp => sp.GetRequiredService<FeedGauges>());
        services.AddHealthChecks()
            .AddCheck<StorageReadiness>("storage", tags: [StorageTag])
            .AddCheck<TrustReadiness>("trust")
            .AddCheck<WriterReadiness>("writer", tags: [StorageTag])
            .AddCheck<StoppingReadiness>("stopping");
        services.AddGrpcHealthChecks(health =>
        {
            // "" is the gateway as a whole (every check, like /readyz); each exchange.v1 service by
            // what it needs: every service stores or reads, except GatewayService (Ping), which
            // answers without storage.
            health.Services.Map("", _ => true);
            foreach (var service in new[] { ArrivalService.Descriptor, MunicipalityService.Descriptor, IndService.Descriptor, ChainService.Descriptor, NoticeFeed.Descriptor })
            {
                health.Services.Map(service.FullName, _ => true);
            }
            health.Services.Map(GatewayService.Descriptor.FullName, check => !check.Tags.Contains(StorageTag));
        });

        var otlp = !string.IsNullOrEmpty(configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        var telemetry = services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService("exchange-gateway"))
            .WithMetrics(metrics =>
            {
                metrics.AddMeter(GatewayMetrics.MeterName).AddPrometheusExporter();
                if (otlp)
                {
                    metrics.AddOtlpExporter();
                }
            });
        if (otlp)
        {
            telemetry.WithTracing(tracing => tracing
                .AddSource(GatewayMetrics.MeterName)
                .AddAspNetCoreInstrumentation()
                .AddOtlpExporter());
        }
    }
}
