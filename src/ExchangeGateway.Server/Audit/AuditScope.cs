using System.Diagnostics;
using Grpc.Core;
using Microsoft.AspNetCore.Http;

namespace ExchangeGateway.Server.Audit;

/// <summary>The audit context of one call: its trace, operation and caller. A write that commits
/// through <c>GatewayStore.ExecuteAsync</c> records it in its own transaction; otherwise the
/// <see cref="AuditInterceptor"/> records it when the call ends.</summary>
internal sealed class AuditScope(AuditKey key, Caller caller, string operation, string processingActivity, TraceIds trace, DateTime startedAt)
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

    /// <summary>The operation under which webhook deliveries are recorded (no call: the gateway posts).</summary>
    public const string WebhookOperation = "webhook delivery";

    /// <summary>The scope of a webhook subscription: its deliveries are recorded as a stream's are, under
    /// a trace of their own.</summary>
    public static AuditScope ForWebhook(AuditKey key, Caller caller, DateTime now) => new(key, caller, WebhookOperation, ProcessingActivityAttribute.ReceivingNotices,
        new TraceIds(ActivityTraceId.CreateRandom().ToHexString(), ActivitySpanId.CreateRandom().ToHexString(), null), now);

    public static AuditScope Begin(AuditKey key, Caller caller, ServerCallContext context, DateTime now)
    {
        // Start-up makes sure every audited method names its activity (MethodPolicyCheck).
        var activity = AccessPolicy.MetadataOf<ProcessingActivityAttribute>(context)?.Name
            ?? throw new InvalidOperationException($"{context.Method} names no processing activity.");
        var scope = new AuditScope(key, caller, context.Method, activity, Trace(context.GetHttpContext()), now);
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
        TraceId = trace.TraceId,
        OperationId = trace.OperationId,
        ForeignOperationId = trace.ForeignOperationId,
        Operation = operation,
        ProcessingActivity = processingActivity,
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
        TraceId = trace.TraceId,
        OperationId = trace.OperationId,
        ForeignOperationId = trace.ForeignOperationId,
        Operation = operation,
        ProcessingActivity = processingActivity,
        CallerOin = caller.Oin,
        OrganisationId = caller.Organisation.Id,
        Outcome = "OK",
        StartedAt = at,
        EndedAt = at,
    };

    /// <summary>The W3C trace this call belongs to: the server's activity where tracing is on (ASP.NET
    /// Core continues the caller's <c>traceparent</c>), else the caller's header, else a new trace. The
    /// operation is a new span in it; the caller's span is the foreign operation.</summary>
    private static TraceIds Trace(HttpContext http)
    {
        if (Activity.Current is { IdFormat: ActivityIdFormat.W3C } activity)
        {
            // HasRemoteParent alone is not enough: with logging on and no tracing listener, ASP.NET
            // Core makes a plain Activity and sets the caller's traceparent as its parent id, which
            // leaves HasRemoteParent false. A parent that is no Activity of this process is the caller's.
            var foreign = activity.ParentSpanId != default && (activity.HasRemoteParent || activity.Parent is null);
            return new TraceIds(activity.TraceId.ToHexString(), activity.SpanId.ToHexString(),
                foreign ? activity.ParentSpanId.ToHexString() : null);
        }
        var operationId = ActivitySpanId.CreateRandom().ToHexString();
        var header = http.Request.Headers["traceparent"].ToString();
        if (header.Length == 55 && header[2] == '-' && header[35] == '-' && header[52] == '-'
            && IsHexId(header.AsSpan(3, 32)) && IsHexId(header.AsSpan(36, 16)))
        {
            return new TraceIds(header.Substring(3, 32), operationId, header.Substring(36, 16));
        }
        return new TraceIds(ActivityTraceId.CreateRandom().ToHexString(), operationId, null);
    }

    /// <summary>Lower-case hex, not all zeros (W3C Trace Context's rule for trace and parent ids).</summary>
    private static bool IsHexId(ReadOnlySpan<char> id) => !id.ContainsAnyExcept(LowerHex) && id.ContainsAnyExcept('0');

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

/// <summary>Where an audited call sits in its W3C trace.</summary>
internal readonly record struct TraceIds(string TraceId, string OperationId, string? ForeignOperationId);
