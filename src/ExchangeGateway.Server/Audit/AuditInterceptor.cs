using Google.Protobuf;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Microsoft.Extensions.Logging;

namespace ExchangeGateway.Server.Audit;

/// <summary>Writes the audit record (Logboek Dataverwerkingen) of every call that may touch personal
/// data. Writes record it in their own transaction (see <c>GatewayStore.ExecuteAsync</c>); reads are
/// recorded here before the answer leaves, so no personal data is handed out without a record (if the
/// record cannot be written the caller gets UNAVAILABLE, not the data). Failed calls are recorded with
/// their status. Stream deliveries are recorded per acknowledged batch (see <c>AcknowledgementWriter</c>).
/// Runs inside <see cref="CallerInterceptor"/>, so the caller is known.</summary>
internal sealed partial class AuditInterceptor(AuditKey key, GatewayStore store, TimeProvider time, ILogger<AuditInterceptor> logger) : Interceptor
{
    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        if (AccessPolicy.IsOperational(context))
        {
            return await continuation(request, context);
        }
        var caller = CallerInterceptor.CallerOf(context);
        var scope = AuditScope.Begin(key, caller, context, time.GetUtcNow().UtcDateTime);
        AuditScope.Current = scope;
        TResponse response;
        try
        {
            response = await continuation(request, context);
        }
        catch (Exception exception) when (!scope.Recorded)
        {
            var code = exception is RpcException rpc ? rpc.StatusCode : StatusCode.Internal;
            await TryRecordFailureAsync(scope, caller, code, request as IMessage);
            throw;
        }
        if (!scope.Recorded)
        {
            await store.WriteAsync(caller, write =>
            {
                write.Db.AuditRecords.Add(scope.Record("OK", write.Now, AuditSubjects.Of(request as IMessage, response as IMessage)));
                return Task.FromResult(true);
            }, CancellationToken.None);
        }
        return response;
    }

    public override Task DuplexStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream,
        ServerCallContext context, DuplexStreamingServerMethod<TRequest, TResponse> continuation)
    {
        if (!AccessPolicy.IsOperational(context))
        {
            // Reflection streams too, and is not audited.
            AuditScope.Begin(key, CallerInterceptor.CallerOf(context), context, time.GetUtcNow().UtcDateTime);
        }
        return continuation(requestStream, responseStream, context);
    }

    private async Task TryRecordFailureAsync(AuditScope scope, Caller caller, StatusCode code, IMessage? request)
    {
        try
        {
            await store.WriteAsync(caller, write =>
            {
                write.Db.AuditRecords.Add(scope.Record(AuditScope.OutcomeOf(code), write.Now, AuditSubjects.Of(request)));
                return Task.FromResult(true);
            }, CancellationToken.None);
        }
        catch (RpcException exception)
        {
            // The call already failed with its own status; storage trouble is logged, not stacked on it.
            LogNotRecorded(logger, scope.Operation, exception.StatusCode.ToString());
        }
    }

    [LoggerMessage(EventId = 1001, Level = LogLevel.Error, Message = "The audit record of a failed {Operation} call could not be written ({Status}).")]
    private static partial void LogNotRecorded(ILogger logger, string operation, string status);
}
