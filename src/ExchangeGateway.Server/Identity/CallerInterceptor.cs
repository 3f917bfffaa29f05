using Grpc.Core;
using Grpc.Core.Interceptors;
using Microsoft.Extensions.Logging;

namespace ExchangeGateway.Server.Identity;

/// <summary>Runs around every call: identifies the caller from its certificate, refuses a method its
/// role may never call, and makes sure nothing but a deliberate status leaves the server (an
/// unexpected exception becomes a logged INTERNAL without details).</summary>
internal sealed partial class CallerInterceptor(CallerResolver resolver, ILogger<CallerInterceptor> logger) : Interceptor
{
    private const string CallerKey = "exchange.caller";

    public static Caller CallerOf(ServerCallContext context) =>
        context.UserState.TryGetValue(CallerKey, out var caller) && caller is Caller known
            ? known
            : throw new InvalidOperationException("Caller not resolved; is the interceptor registered?");

    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        Authorize(context);
        try
        {
            return await continuation(request, context);
        }
        catch (Exception exception) when (exception is not RpcException && !context.CancellationToken.IsCancellationRequested)
        {
            throw Unexpected(context, exception);
        }
    }

    public override async Task ServerStreamingServerHandler<TRequest, TResponse>(
        TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        // Only grpc.health.v1 Watch streams this way; it is authorized like everything else.
        Authorize(context);
        try
        {
            await continuation(request, responseStream, context);
        }
        catch (Exception exception) when (exception is not RpcException && !context.CancellationToken.IsCancellationRequested)
        {
            throw Unexpected(context, exception);
        }
    }

    public override async Task DuplexStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream,
        ServerCallContext context, DuplexStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Authorize(context);
        try
        {
            await continuation(requestStream, responseStream, context);
        }
        catch (RpcException exception) when (exception.StatusCode == StatusCode.Internal
            && (exception.Status.DebugException is InvalidDataException || exception.Status.Detail.StartsWith("Error reading next message", StringComparison.Ordinal)))
        {
            // grpc-dotnet reports a malformed or truncated message on the request stream as INTERNAL;
            // it is the client's mistake.
            throw GatewayErrors.InvalidArgument("request", "is not a well-formed message stream");
        }
        catch (IOException)
        {
            // The client reset the stream (it went away); not the gateway's fault, nothing to log.
            throw new RpcException(new Status(StatusCode.Cancelled, "The client closed the stream."));
        }
        catch (Exception exception) when (exception is not RpcException && !context.CancellationToken.IsCancellationRequested)
        {
            throw Unexpected(context, exception);
        }
    }

    private void Authorize(ServerCallContext context)
    {
        var caller = resolver.Resolve(context.GetHttpContext());
        if (!AccessPolicy.MayCall(context, caller.Organisation.Role))
        {
            throw GatewayErrors.PermissionDenied("ROLE_NOT_ALLOWED",
                $"Organisations with role {caller.Organisation.Role} may not call {context.Method}.");
        }
        context.UserState[CallerKey] = caller;
    }

    private RpcException Unexpected(ServerCallContext context, Exception exception)
    {
        LogUnexpected(logger, context.Method, exception.GetType().Name, exception);
        return GatewayErrors.Internal();
    }

    // Exception messages can quote input; log the type and stack, and keep the message out of the
    // default formatter by not interpolating it.
    [LoggerMessage(EventId = 8001, Level = LogLevel.Error, Message = "Unexpected {ExceptionType} in {Method}.")]
    private static partial void LogUnexpected(ILogger logger, string method, string exceptionType, Exception exception);
}
