using Google.Protobuf;
using Google.Protobuf.Reflection;
using Grpc.Core;

namespace ExchangeGateway.Server.Storage;

/// <summary>One mutating RPC, written the way every one is: <see cref="Validate"/> names each bad field
/// without reading stored state, <see cref="Check"/> refuses what needs no stored state but is not a
/// bad field, and <see cref="SubmitAsync"/> makes the change once per request_id. The service method
/// only calls <see cref="RunAsync"/>; who may call it and how it is audited stand on that method.</summary>
internal abstract class UseCase<TRequest, TResponse>
    where TRequest : class, IMessage<TRequest>, new()
    where TResponse : class, IMessage<TResponse>, new()
{
    /// <summary>Every mutating request carries a request_id (the contract's rule); read through the
    /// descriptor so that the generated classes need no interface of ours.</summary>
    private static readonly FieldDescriptor RequestIdField = new TRequest().Descriptor.FindFieldByName("request_id")
        ?? throw new InvalidOperationException($"{new TRequest().Descriptor.FullName} has no request_id: a mutating request must carry one.");

    public Task<TResponse> RunAsync(TRequest request, ServerCallContext context)
    {
        var caller = CallerInterceptor.CallerOf(context);
        var violations = new Violations();
        violations.RequestId(RequestIdOf(request));
        Validate(request, caller, violations);
        violations.ThrowIfAny();
        Check(request, caller);
        return SubmitAsync(request, caller, context.Method, context.CancellationToken);
    }

    protected static string RequestIdOf(TRequest request) => (string)RequestIdField.Accessor.GetValue(request);

    /// <summary>Adds a violation per bad field (request_id is already checked); reads nothing stored.</summary>
    protected abstract void Validate(TRequest request, Caller caller, Violations violations);

    /// <summary>Refusals that need no stored state and are not about one field's form: a policy
    /// (FAILED_PRECONDITION), a scope (NOT_FOUND or PERMISSION_DENIED). Runs on valid requests only.</summary>
    protected virtual void Check(TRequest request, Caller caller)
    {
    }

    /// <summary>Makes the change and its notices in one transaction, once per request_id.</summary>
    protected abstract Task<TResponse> SubmitAsync(TRequest request, Caller caller, string method, CancellationToken cancellationToken);
}

/// <summary>A use case whose change reads and changes stored rows on the writer: the common form.</summary>
internal abstract class WriteUseCase<TRequest, TResponse>(GatewayStore store) : UseCase<TRequest, TResponse>
    where TRequest : class, IMessage<TRequest>, new()
    where TResponse : class, IMessage<TResponse>, new()
{
    protected override Task<TResponse> SubmitAsync(TRequest request, Caller caller, string method, CancellationToken cancellationToken) =>
        store.ExecuteAsync(caller, method, request, RequestIdOf(request), write => ExecuteAsync(request, write), cancellationToken);

    /// <summary>The change, on the writer: refusals that need stored state are thrown here and roll it back.
    /// It may run more than once (a retried batch); only its last run counts.</summary>
    protected abstract Task<TResponse> ExecuteAsync(TRequest request, WriteContext write);
}
