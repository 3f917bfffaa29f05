using System.Globalization;
using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;

namespace ExchangeGateway.Server.Limits;

/// <summary>RESOURCE_EXHAUSTED answers: what was exceeded (QuotaFailure), a machine-readable reason
/// (ErrorInfo) and, where waiting helps, when to retry (RetryInfo).</summary>
internal static class LimitErrors
{
    public static RpcException RateLimited(string organisationId, double perSecond, int burst, TimeSpan retryAfter)
    {
        var rate = perSecond.ToString("0.##", CultureInfo.InvariantCulture);
        var retryMs = Math.Max(1, (long)Math.Ceiling(retryAfter.TotalMilliseconds));
        return GatewayErrors.ResourceExhausted(
            $"Too many requests from your organisation: at most {rate} per second on average, with bursts of {burst}. Retry after {retryMs} ms (with the same request_id).",
            new QuotaFailure { Violations = { new QuotaFailure.Types.Violation
            {
                Subject = "organisation:" + organisationId,
                Description = $"requests per second ({rate}, burst {burst}; Gateway:Limits:RequestsPerSecond, RequestBurst)",
            } } },
            "RATE_LIMITED",
            new RetryInfo { RetryDelay = Duration.FromTimeSpan(TimeSpan.FromMilliseconds(retryMs)) });
    }

    public static RpcException TooManyStreams(string organisationId, int max) => GatewayErrors.ResourceExhausted(
        $"Your organisation already holds {max} notice feed streams open, the most allowed; close one (or let a dead one time out) before opening another.",
        new QuotaFailure { Violations = { new QuotaFailure.Types.Violation
        {
            Subject = "organisation:" + organisationId,
            Description = $"concurrent feed streams ({max}: Gateway:Limits:MaxFeedStreamsPerFeed for each feed the organisation may open)",
        } } },
        "TOO_MANY_FEED_STREAMS",
        retry: null);
}
