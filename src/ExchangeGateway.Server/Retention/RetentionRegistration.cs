using Microsoft.Extensions.DependencyInjection;

namespace ExchangeGateway.Server.Retention;

/// <summary>Registers retention with the gateway (one line in <c>GatewayHosting</c>).</summary>
internal static class RetentionRegistration
{
    public static IServiceCollection AddPersonalDataRetention(this IServiceCollection services)
    {
        services.AddSingleton<RetentionSweep>();
        services.AddHostedService<RetentionMonitor>();
        return services;
    }
}
