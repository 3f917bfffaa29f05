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
    public static void AddGatewayTelemetry(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton<GatewayMetrics>();
        services.AddSingleton<FeedGauges>();
        services.AddHostedService(sp => sp.GetRequiredService<FeedGauges>());
        services.AddHealthChecks()
            .AddCheck<StorageReadiness>("storage")
            .AddCheck<TrustReadiness>("trust")
            .AddCheck<WriterReadiness>("writer")
            .AddCheck<StoppingReadiness>("stopping");
        services.AddGrpcHealthChecks();

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
