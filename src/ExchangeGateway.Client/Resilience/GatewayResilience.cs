using Google.Protobuf;
using Google.Rpc;
using Grpc.Core;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;
using Polly.Timeout;

namespace ExchangeGateway.Client.Resilience;

/// <summary>How unary calls are retried. grpc-dotnet reports the outcome as a gRPC status in the
/// trailers (an <see cref="RpcException"/>), so the pipeline acts on gRPC status codes, never on
/// HTTP status.</summary>
public sealed class GatewayResilienceOptions
{
    /// <summary>Retries after the first attempt.</summary>
    public int MaxRetryAttempts { get; init; } = 8;

    /// <summary>First backoff; it grows exponentially, with jitter.</summary>
    public TimeSpan BaseDelay { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Longest single backoff.</summary>
    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The gRPC deadline of each attempt.</summary>
    public TimeSpan AttemptTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long a call may take in all, retries included.</summary>
    public TimeSpan OverallTimeout { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>Share of failing attempts in <see cref="CircuitSamplingDuration"/> that opens the circuit.</summary>
    public double CircuitFailureRatio { get; init; } = 0.8;

    /// <summary>Attempts needed in the sampling window before the circuit may open.</summary>
    public int CircuitMinimumThroughput { get; init; } = 20;

    public TimeSpan CircuitSamplingDuration { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long an open circuit refuses calls before it lets one through to test.</summary>
    public TimeSpan CircuitBreakDuration { get; init; } = TimeSpan.FromSeconds(5);
}

/// <summary>Builds the Polly pipeline for unary calls.</summary>
public static class GatewayResilience
{
    /// <summary>Worth retrying with the same request_id: the gateway was unreachable, busy or timed
    /// out, so the request may or may not have been stored; the request_id makes the retry safe.
    /// INVALID_ARGUMENT, PERMISSION_DENIED, FAILED_PRECONDITION and ALREADY_EXISTS are answers, not faults.</summary>
    public static bool IsRetryable(StatusCode code) =>
        code is StatusCode.Unavailable or StatusCode.DeadlineExceeded or StatusCode.ResourceExhausted or StatusCode.Aborted;

    /// <summary>Worth retrying with the same request_id: a retryable status (see <see cref="IsRetryable(StatusCode)"/>),
    /// or a transport failure that grpc-dotnet reports as INTERNAL or UNKNOWN although the gateway
    /// never answered, such as a connection cut during the HTTP/2 handshake ("Error starting gRPC
    /// call. HttpRequestException: An HTTP/2 connection could not be established because the server did
    /// not complete the HTTP/2 handshake."). An INTERNAL the gateway itself answers has no such cause.</summary>
    public static bool IsRetryable(RpcException exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return IsRetryable(exception.StatusCode) || IsTransportFailure(exception);
    }

    /// <summary>The call failed in the client's transport (HTTP, TLS, socket) before any gRPC status
    /// came back from the gateway.</summary>
    public static bool IsTransportFailure(RpcException exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        if (exception.StatusCode is not (StatusCode.Internal or StatusCode.Unknown or StatusCode.Unavailable))
        {
            return false;
        }
        for (var cause = exception.Status.DebugException; cause is not null; cause = cause.InnerException)
        {
            if (cause is HttpRequestException or IOException or System.Net.Sockets.SocketException or System.Security.Authentication.AuthenticationException)
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>The wait the gateway asked for in a <c>google.rpc.RetryInfo</c> detail of its answer
    /// (a rate limit, a full write queue, storage unavailable), or null when it gave none.</summary>
    public static TimeSpan? RetryDelayOf(RpcException exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        if (exception.Trailers.GetValueBytes(StatusDetailsTrailer) is not { } bytes)
        {
            return null;
        }
        try
        {
            foreach (var detail in Google.Rpc.Status.Parser.ParseFrom(bytes).Details)
            {
                if (detail.TryUnpack<RetryInfo>(out var info) && info.RetryDelay is { } delay)
                {
                    return delay.ToTimeSpan();
                }
            }
        }
        catch (InvalidProtocolBufferException)
        {
            // Not the gateway's details: the client's own backoff applies.
        }
        return null;
    }

    private const string StatusDetailsTrailer = "grpc-status-details-bin";

    public static ResiliencePipeline CreatePipeline(GatewayResilienceOptions options, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var transient = new PredicateBuilder().Handle<RpcException>(IsRetryable);
        return new ResiliencePipelineBuilder { TimeProvider = time ?? TimeProvider.System }
            .AddTimeout(new TimeoutStrategyOptions { Timeout = options.OverallTimeout })
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = transient,
                MaxRetryAttempts = options.MaxRetryAttempts,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = options.BaseDelay,
                MaxDelay = options.MaxDelay,
                // The gateway knows best how long to wait (its RetryInfo), up to the longest backoff
                // this client accepts; without one, the exponential backoff above.
                DelayGenerator = args => ValueTask.FromResult(
                    args.Outcome.Exception is RpcException rpc && RetryDelayOf(rpc) is { } asked && asked >= TimeSpan.Zero
                        ? (TimeSpan?)(asked < options.MaxDelay ? asked : options.MaxDelay)
                        : null),
            })
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions
            {
                ShouldHandle = transient,
                FailureRatio = options.CircuitFailureRatio,
                MinimumThroughput = options.CircuitMinimumThroughput,
                SamplingDuration = options.CircuitSamplingDuration,
                BreakDuration = options.CircuitBreakDuration,
            })
            .Build();
    }

    /// <summary>Whether a subscriber's stream was lost in a way a reconnect may cure: a retryable status,
    /// INTERNAL or UNKNOWN (the gateway going away mid-stream), CANCELLED by the other side, or the
    /// transport failing.</summary>
    public static bool IsConnectionLoss(Exception exception) => exception switch
    {
        RpcException rpc => IsRetryable(rpc.StatusCode) || rpc.StatusCode is StatusCode.Internal or StatusCode.Cancelled or StatusCode.Unknown,
        IOException or HttpRequestException => true,
        _ => false,
    };

    /// <summary>The subscriber's reconnects: tries again for as long as it runs, waiting
    /// <paramref name="baseDelay"/> doubled per failure up to <paramref name="maxDelay"/>, with jitter, or the
    /// delay the gateway asked for (its RetryInfo, up to <paramref name="maxDelay"/>). One execution lasts
    /// until a connection opens; after one that worked ends, the next execution starts again with an
    /// immediate try (gRPC's connection backoff does the same).</summary>
    public static ResiliencePipeline CreateReconnectPipeline(TimeSpan baseDelay, TimeSpan maxDelay, TimeProvider? time = null) =>
        new ResiliencePipelineBuilder { TimeProvider = time ?? TimeProvider.System }
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<Exception>(IsConnectionLoss),
                MaxRetryAttempts = int.MaxValue,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = baseDelay,
                MaxDelay = maxDelay,
                DelayGenerator = args => ValueTask.FromResult(
                    args.Outcome.Exception is RpcException rpc && RetryDelayOf(rpc) is { } asked && asked >= TimeSpan.Zero
                        ? (TimeSpan?)(asked < maxDelay ? asked : maxDelay)
                        : null),
            })
            .Build();
}
