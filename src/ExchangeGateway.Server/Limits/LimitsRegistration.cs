using Microsoft.Extensions.DependencyInjection;

namespace ExchangeGateway.Server.Limits;

/// <summary>The services behind the gateway's limits. The interceptor itself is added to the gRPC
/// options next to <c>CallerInterceptor</c>, so the order of the two is visible in one place.</summary>
internal static class LimitsRegistration
{
    public static IServiceCollection AddGatewayLimits(this IServiceCollection services)
    {
        services.AddSingleton<OrganisationRateLimiter>();
        services.AddSingleton<FeedStreamSlots>();
        return services.AddStrictRequestParsing();
    }
}
