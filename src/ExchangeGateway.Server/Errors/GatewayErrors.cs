using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;
using Status = Google.Rpc.Status;

namespace ExchangeGateway.Server.Errors;

/// <summary>The gateway's errors, each with a <c>google.rpc</c> detail that a program can act on.
/// Messages never contain personal data.</summary>
internal static class GatewayErrors
{
    /// <summary>The <c>ErrorInfo.domain</c> of the gateway's errors.</summary>
    public const string Domain = "exchange-gateway.asielketen.nl";

    public static RpcException InvalidArgument(IReadOnlyCollection<BadRequest.Types.FieldViolation> violations)
    {
        var summary = string.Join("; ", violations.Take(5).Select(v => $"{v.Field}: {v.Description}"));
        if (violations.Count > 5)
        {
            summary += $"; and {violations.Count - 5} more";
        }
        var badRequest = new BadRequest();
        badRequest.FieldViolations.AddRange(violations);
        return Build(Code.InvalidArgument, "Invalid request: " + summary, Any.Pack(badRequest));
    }

    public static RpcException InvalidArgument(string field, string description) =>
        InvalidArgument([new BadRequest.Types.FieldViolation { Field = field, Description = description }]);

    /// <summary>The object does not exist, or the caller may not see it: the two are answered alike.</summary>
    public static RpcException ArrivalNotFound(string arrivalId) =>
        Build(Code.NotFound, $"Arrival {arrivalId} not found.",
            Any.Pack(new ResourceInfo { ResourceType = "exchange.v1.Arrival", ResourceName = arrivalId }));

    public static RpcException NotFound(string resourceType, string resourceName, string message) =>
        Build(Code.NotFound, message, Any.Pack(new ResourceInfo { ResourceType = resourceType, ResourceName = resourceName }));

    public static RpcException PermissionDenied(string reason, string message) =>
        Build(Code.PermissionDenied, message, ErrorInfo(reason));

    public static RpcException Unauthenticated(string reason, string message) =>
        Build(Code.Unauthenticated, message, ErrorInfo(reason));

    /// <summary>The object is in a state that does not allow the call; <paramref name="type"/> is a
    /// stable machine-readable kind (e.g. "STATE"), <paramref name="description"/> says why to a person.</summary>
    public static RpcException FailedPrecondition(string type, string subject, string description)
    {
        var failure = new PreconditionFailure();
        failure.Violations.Add(new PreconditionFailure.Types.Violation { Type = type, Subject = subject, Description = description });
        return Build(Code.FailedPrecondition, description, Any.Pack(failure));
    }

    public static RpcException AlreadyExists(string reason, string message, IDictionary<string, string> metadata) =>
        Build(Code.AlreadyExists, message, ErrorInfo(reason, metadata));

    /// <summary>Storage is unavailable for now (or, with another <paramref name="reason"/>, something
    /// else passing); the caller should retry, a mutating call with the same request_id.</summary>
    public static RpcException Unavailable(string message, string reason = "STORAGE_UNAVAILABLE") =>
        Build(Code.Unavailable, message, ErrorInfo(reason),
            Any.Pack(new RetryInfo { RetryDelay = Duration.FromTimeSpan(TimeSpan.FromSeconds(1)) }));

    /// <summary>A limit was reached: what was exceeded, a machine-readable <paramref name="reason"/>
    /// and, where waiting helps, when to retry.</summary>
    public static RpcException ResourceExhausted(string message, QuotaFailure quota, string reason, RetryInfo? retry) =>
        Build(Code.ResourceExhausted, message, [Any.Pack(quota), ErrorInfo(reason), .. retry is null ? Array.Empty<Any>() : [Any.Pack(retry)]]);

    public static RpcException Internal() =>
        Build(Code.Internal, "Internal error. It has been logged; nothing was stored for this call.", ErrorInfo("INTERNAL"));

    private static Any ErrorInfo(string reason, IDictionary<string, string>? metadata = null)
    {
        var info = new ErrorInfo { Reason = reason, Domain = Domain };
        if (metadata is not null)
        {
            info.Metadata.Add(metadata);
        }
        return Any.Pack(info);
    }

    private static RpcException Build(Code code, string message, params Any[] details)
    {
        var status = new Status { Code = (int)code, Message = message };
        status.Details.AddRange(details);
        return status.ToRpcException();
    }
}
