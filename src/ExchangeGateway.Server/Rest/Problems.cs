using System.Text.Json;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Google.Rpc;
using HttpResponse = Microsoft.AspNetCore.Http.HttpResponse;
using Grpc.Core;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Status = Google.Rpc.Status;

namespace ExchangeGateway.Server.Rest;

/// <summary>Errors on the REST surface as <c>application/problem+json</c> (RFC 9457, required by the NL
/// GOV API Design Rules), carrying what the gRPC answer carries: the status code's name
/// (<c>code</c>), the reason of its <c>ErrorInfo</c> (<c>reason</c>), each field violation of its
/// <c>BadRequest</c> (<c>invalidParams</c>, the Design Rules' extension), each precondition failure
/// (<c>violations</c>) and a retry delay (<c>Retry-After</c> and <c>retryAfter</c>).</summary>
internal static class Problems
{
    public const string ContentType = "application/problem+json";

    /// <summary>The error details a REST answer can carry, for reading them back from JSON.</summary>
    public static readonly TypeRegistry Details = TypeRegistry.FromMessages(
        BadRequest.Descriptor, ErrorInfo.Descriptor, RetryInfo.Descriptor, PreconditionFailure.Descriptor, ResourceInfo.Descriptor,
        QuotaFailure.Descriptor, Help.Descriptor, LocalizedMessage.Descriptor, DebugInfo.Descriptor, RequestInfo.Descriptor);

    private static readonly JsonParser StatusParser = new(JsonParser.Settings.Default.WithTypeRegistry(Details).WithIgnoreUnknownFields(true));

    /// <summary>The HTTP status for a gRPC status code, as <c>google.api.http</c> maps them (the same
    /// table JSON transcoding uses).</summary>
    public static int HttpStatus(StatusCode code) => code switch
    {
        StatusCode.OK => StatusCodes.Status200OK,
        StatusCode.Cancelled => 499,
        StatusCode.InvalidArgument or StatusCode.FailedPrecondition or StatusCode.OutOfRange => StatusCodes.Status400BadRequest,
        StatusCode.DeadlineExceeded => StatusCodes.Status504GatewayTimeout,
        StatusCode.NotFound => StatusCodes.Status404NotFound,
        StatusCode.AlreadyExists or StatusCode.Aborted => StatusCodes.Status409Conflict,
        StatusCode.PermissionDenied => StatusCodes.Status403Forbidden,
        StatusCode.Unauthenticated => StatusCodes.Status401Unauthorized,
        StatusCode.ResourceExhausted => StatusCodes.Status429TooManyRequests,
        StatusCode.Unimplemented => StatusCodes.Status501NotImplemented,
        StatusCode.Unavailable => StatusCodes.Status503ServiceUnavailable,
        _ => StatusCodes.Status500InternalServerError,
    };

    /// <summary>The rich status of <paramref name="exception"/> (its <c>grpc-status-details-bin</c>), or one
    /// built from its code and message.</summary>
    public static Status StatusOf(RpcException exception) =>
        exception.GetRpcStatus() ?? new Status { Code = (int)exception.StatusCode, Message = exception.Status.Detail };

    /// <summary>Reads the <c>google.rpc.Status</c> JSON that JSON transcoding writes for a failed call;
    /// null when the body is not one.</summary>
    public static Status? ReadStatus(ReadOnlySpan<byte> json)
    {
        try
        {
            return json.IsEmpty ? null : StatusParser.Parse<Status>(System.Text.Encoding.UTF8.GetString(json));
        }
        catch (InvalidProtocolBufferException)
        {
            return null;
        }
        catch (InvalidJsonException)
        {
            return null;
        }
    }

    /// <summary>Writes <paramref name="status"/> as the response, with <paramref name="httpStatus"/>.</summary>
    public static async Task WriteAsync(HttpResponse response, int httpStatus, Status status)
    {
        response.StatusCode = httpStatus;
        response.ContentType = ContentType;
        var retry = status.Details.Where(d => d.Is(RetryInfo.Descriptor)).Select(d => d.Unpack<RetryInfo>()).FirstOrDefault();
        if (retry?.RetryDelay is { } delay)
        {
            response.Headers.RetryAfter = Math.Max(1, (long)Math.Ceiling(delay.ToTimeSpan().TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        await using var json = new Utf8JsonWriter(response.Body);
        Write(json, httpStatus, status, retry);
        await json.FlushAsync();
    }

    private static void Write(Utf8JsonWriter json, int httpStatus, Status status, RetryInfo? retry)
    {
        var code = (StatusCode)status.Code;
        json.WriteStartObject();
        json.WriteString("type", "about:blank");
        json.WriteString("title", ReasonPhrases.GetReasonPhrase(httpStatus) is { Length: > 0 } phrase ? phrase : CodeName(code));
        json.WriteNumber("status", httpStatus);
        json.WriteString("detail", status.Message);
        json.WriteString("code", CodeName(code));
        if (Unpack<ErrorInfo>(status).FirstOrDefault() is { } info)
        {
            json.WriteString("reason", info.Reason);
        }
        WriteArray(json, "invalidParams", Unpack<BadRequest>(status).SelectMany(b => b.FieldViolations),
            f => [("name", f.Field), ("reason", f.Description)]);
        WriteArray(json, "violations", Unpack<PreconditionFailure>(status).SelectMany(p => p.Violations),
            v => [("type", v.Type), ("subject", v.Subject), ("description", v.Description)]);
        if (retry?.RetryDelay is { } delay)
        {
            json.WriteNumber("retryAfter", delay.ToTimeSpan().TotalSeconds);
        }
        json.WriteEndObject();
    }

    /// <summary>An array of flat objects, left out when empty.</summary>
    private static void WriteArray<T>(Utf8JsonWriter json, string name, IEnumerable<T> items, Func<T, (string Name, string Value)[]> properties)
    {
        var started = false;
        foreach (var item in items)
        {
            if (!started)
            {
                json.WriteStartArray(name);
                started = true;
            }
            json.WriteStartObject();
            foreach (var (property, value) in properties(item))
            {
                json.WriteString(property, value);
            }
            json.WriteEndObject();
        }
        if (started)
        {
            json.WriteEndArray();
        }
    }

    private static IEnumerable<T> Unpack<T>(Status status) where T : class, IMessage<T>, new()
    {
        var descriptor = new T().Descriptor;
        return status.Details.Where(d => d.Is(descriptor)).Select(d => d.Unpack<T>());
    }

    /// <summary>INVALID_ARGUMENT, NOT_FOUND, …: the names of <c>google.rpc.Code</c>.</summary>
    private static string CodeName(StatusCode code)
    {
        if (!Enum.IsDefined((Code)(int)code))
        {
            return "UNKNOWN";
        }
        var name = ((Code)(int)code).ToString();
        var upper = new System.Text.StringBuilder(name.Length + 4);
        for (var i = 0; i < name.Length; i++)
        {
            if (i > 0 && char.IsUpper(name[i]))
            {
                upper.Append('_');
            }
            upper.Append(char.ToUpperInvariant(name[i]));
        }
        return upper.ToString();
    }
}
