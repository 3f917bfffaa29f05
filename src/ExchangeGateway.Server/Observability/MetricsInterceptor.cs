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
        var started = Stopwatch.GetTimestamp();
        var status = StatusCode.Internal;
        try
        {
            var response = await continuation(request, context);
            status = StatusCode.OK;
            return response;
        }
        catch (RpcException exception)
        {
            status = exception.StatusCode;
            throw;
        }
        finally
        {
            Record(context.Method, status, started);
        }
    }

    public override async Task ServerStreamingServerHandler<TRequest, TResponse>(
        TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        var started = Stopwatch.GetTimestamp();
        var status = StatusCode.Internal;
        try
        {
            await continuation(request, responseStream, context);
            status = StatusCode.OK;
        }
        catch (RpcException exception)
        {
            status = exception.StatusCode;
            throw;
        }
        finally
        {
            Record(context.Method, status, started);
        }
    }

    public override async Task DuplexStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream,
        ServerCallContext context, DuplexStreamingServerMethod<TRequest, TResponse> continuation)
    {
        var started = Stopwatch.GetTimestamp();
        var status = StatusCode.Internal;
        try
        {
            await continuation(requestStream, responseStream, context);
            status = StatusCode.OK;
        }
        catch (RpcException exception)
        {
            status = exception.StatusCode;
            throw;
        }
        finally
        {
            Record(context.Method, status, started);
        }
    }

    private void Record(string method, StatusCode status, long started)
    {
        var tags = new TagList { { "rpc.method", method }, { "rpc.grpc.status_code", (int)status } };
        metrics.Calls.Add(1, tags);
        metrics.CallDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, tags);
    }
}
