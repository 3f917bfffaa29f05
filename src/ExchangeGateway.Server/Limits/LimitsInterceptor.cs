using ExchangeGateway.Server.Observability;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Microsoft.Extensions.Logging;

namespace ExchangeGateway.Server.Limits;

/// <summary>Runs inside <see cref="CallerInterceptor"/> (which has resolved the caller and turns
/// anything unexpected into INTERNAL): the per-organisation rate limit on every call, and the
/// per-organisation cap on open feed streams. Both refuse with RESOURCE_EXHAUSTED before any work.</summary>
internal sealed partial class LimitsInterceptor(
    OrganisationRateLimiter rateLimiter,
    FeedStreamSlots streams,
    GatewayMetrics metrics,
    ILogger<LimitsInterceptor> logger) : Interceptor
{
    public override Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        if (!AccessPolicy.IsOperational(context))
        {
            EnforceRate(context);
        }
        return continuation(request, context);
    }

    public override async Task DuplexStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream,
        ServerCallContext context, DuplexStreamingServerMethod<TRequest, TResponse> continuation)
    {
        if (AccessPolicy.IsOperational(context))
        {
            // Reflection: no feed stream, nothing to limit.
            await continuation(requestStream, responseStream, context);
            return;
        }
        // Opening a stream is one request; the acknowledgements sent on it are not counted.
        EnforceRate(context);
        var organisation = CallerInterceptor.CallerOf(context).Organisation;
        using var slot = streams.TryEnter(organisation);
        if (slot is null)
        {
            var max = streams.MaxFor(organisation);
            LogTooManyStreams(logger, organisation.Id, max);
            metrics.LimitRefusals.Add(1, new KeyValuePair<string, object?>("limit", "streams"));
            throw LimitErrors.TooManyStreams(organisation.Id, max);
        }
        await continuation(requestStream, responseStream, context);
    }

    private void EnforceRate(ServerCallContext context)
    {
        if (!rateLimiter.Enabled)
        {
            return;
        }
        var organisation = CallerInterceptor.CallerOf(context).Organisation.Id;
        if (!rateLimiter.TryAcquire(organisation, out var retryAfter))
        {
            metrics.LimitRefusals.Add(1, new KeyValuePair<string, object?>("limit", "rate"));
            throw LimitErrors.RateLimited(organisation, rateLimiter.PerSecond, rateLimiter.Burst, retryAfter);
        }
    }

    [LoggerMessage(EventId = 9001, Level = LogLevel.Warning, Message = "Refused a feed stream of organisation {Organisation}: it holds {Max} open already.")]
    private static partial void LogTooManyStreams(ILogger logger, string organisation, int max);
}
