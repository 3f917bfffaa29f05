using System.Diagnostics;
using Grpc.Core;
using Grpc.Core.Interceptors;

namespace ExchangeGateway.Server.Observability;

/// <summary>The outermost interceptor: counts every call by method and status and times it, refusals
/// by the inner interceptors (identity, limits) included. Two instrument updates per call.</summary>
internal sealed class MetricsInterceptor(GatewayMetrics metrics) : Interceptor
{
    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        TResponse response = default!;
        await MeasureAsync(context, async () => response = await continuation(request, context));
        return response;
    }

    public override Task ServerStreamingServerHandler<TRequest, TResponse>(
        TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation) =>
        MeasureAsync(context, () => continuation(request, responseStream, context));

    public override Task DuplexStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream,
        ServerCallContext context, DuplexStreamingServerMethod<TRequest, TResponse> continuation) =>
        MeasureAsync(context, () => continuation(requestStream, responseStream, context));

    /// <summary>Runs the call and records it: OK, the status of an RpcException, else INTERNAL (what
    /// the caller gets for anything else).</summary>
    private async Task MeasureAsync(ServerCallContext context, Func<Task> call)
    {
        var started = Stopwatch.GetTimestamp();
        var status = StatusCode.Internal;
        try
        {
            await call();
            status = StatusCode.OK;
        }
        catch (RpcException exception)
        {
            status = exception.StatusCode;
            throw;
        }
        finally
        {
            var tags = new TagList { { "rpc.method", context.Method }, { "rpc.grpc.status_code", (int)status } };
            metrics.Calls.Add(1, tags);
            metrics.CallDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, tags);
        }
    }
}
