using System.Diagnostics;
using ExchangeGateway.Server.Identity;
using ExchangeGateway.Server.Storage;
using Grpc.Core;
using Microsoft.AspNetCore.Http;

namespace ExchangeGateway.Server.Audit;

/// <summary>The audit context of one call: its trace, operation and caller. A write that commits
/// through <c>GatewayStore.ExecuteAsync</c> records it in its own transaction; otherwise the
/// <see cref="AuditInterceptor"/> records it when the call ends.</summary>
internal sealed class AuditScope(AuditKey key, Caller caller, string operation, string traceId, string operationId, DateTime startedAt)
{
    public string Operation => operation;

    private const string UserStateKey = "exchange.audit";
    private static readonly System.Buffers.SearchValues<char> LowerHex = System.Buffers.SearchValues.Create("0123456789abcdef");
    private static readonly AsyncLocal<AuditScope?> Ambient = new();

    /// <summary>The scope of the call being handled on this async flow (set by the interceptor).</summary>
    public static AuditScope? Current
    {
        get => Ambient.Value;
        set => Ambient.Value = value;
    }

    public static AuditScope? Of(ServerCallContext context) =>
        context.UserState.TryGetValue(UserStateKey, out var scope) ? scope as AuditScope : null;

    public static AuditScope Begin(AuditKey key, Caller caller, ServerCallContext context, DateTime now)
    {
        var (traceId, operationId) = Trace(context.GetHttpContext());
        var scope = new AuditScope(key, caller, context.Method, traceId, operationId, now);
        context.UserState[UserStateKey] = scope;
        return scope;
    }

    /// <summary>Set once the record is committed together with the call's change.</summary>
    public bool Recorded { get; set; }

    public AuditRecordEntity Record(string outcome, DateTime endedAt, IEnumerable<(SubjectKind Kind, string Identifier)> subjects)
    {
        var record = Entry(outcome, endedAt);
        record.Subjects = [.. Protect(subjects).Select(s => new AuditSubjectEntity { Subject = s })];
        return record;
    }

    /// <summary>The data subjects as the audit log stores them (keyed hashes), each once.</summary>
    public List<string> Protect(IEnumerable<(SubjectKind Kind, string Identifier)> subjects) =>
        [.. subjects.Select(s => key.Protect(s.Kind, s.Identifier)).Distinct(StringComparer.Ordinal)];

    /// <summary>The record of this call without its subjects (written beside it).</summary>
    public AuditRecordEntity Entry(string outcome, DateTime endedAt) => new()
    {
        TraceId = traceId,
        OperationId = operationId,
        Operation = operation,
        ProcessingActivity = ProcessingActivities.Of(operation),
        CallerOin = caller.Oin,
        OrganisationId = caller.Organisation.Id,
        Outcome = outcome,
        StartedAt = startedAt,
        EndedAt = endedAt,
    };

    /// <summary>The record of a stream's delivery of notices its subscriber just acknowledged; the
    /// subjects (already keyed) are written beside it.</summary>
    public AuditRecordEntity Delivery(DateTime at) => new()
    {
        TraceId = traceId,
        OperationId = operationId,
        Operation = operation,
        ProcessingActivity = ProcessingActivities.Of(operation),
        CallerOin = caller.Oin,
        OrganisationId = caller.Organisation.Id,
        Outcome = "OK",
        StartedAt = at,
        EndedAt = at,
    };

    /// <summary>The W3C trace this call belongs to: the server's activity where tracing is on, else the
    /// caller's <c>traceparent</c> header, else a new trace. The operation is a new span in it.</summary>
    private static (string TraceId, string OperationId) Trace(HttpContext http)
    {
        var operationId = ActivitySpanId.CreateRandom().ToHexString();
        if (Activity.Current is { IdFormat: ActivityIdFormat.W3C } activity)
        {
            return (activity.TraceId.ToHexString(), activity.SpanId.ToHexString());
        }
        var header = http.Request.Headers["traceparent"].ToString();
        if (header.Length == 55 && header[2] == '-' && header[35] == '-'
            && !header.AsSpan(3, 32).ContainsAnyExcept(LowerHex) && header.AsSpan(3, 32).ContainsAnyExcept('0'))
        {
            return (header.Substring(3, 32), operationId);
        }
        return (ActivityTraceId.CreateRandom().ToHexString(), operationId);
    }

    public static string OutcomeOf(StatusCode code) => code switch
    {
        StatusCode.OK => "OK",
        StatusCode.InvalidArgument => "INVALID_ARGUMENT",
        StatusCode.NotFound => "NOT_FOUND",
        StatusCode.AlreadyExists => "ALREADY_EXISTS",
        StatusCode.PermissionDenied => "PERMISSION_DENIED",
        StatusCode.FailedPrecondition => "FAILED_PRECONDITION",
        StatusCode.ResourceExhausted => "RESOURCE_EXHAUSTED",
        StatusCode.Unavailable => "UNAVAILABLE",
        StatusCode.Unauthenticated => "UNAUTHENTICATED",
        StatusCode.Cancelled => "CANCELLED",
        StatusCode.DeadlineExceeded => "DEADLINE_EXCEEDED",
        StatusCode.Internal => "INTERNAL",
        _ => code.ToString().ToUpperInvariant(),
    };
}
