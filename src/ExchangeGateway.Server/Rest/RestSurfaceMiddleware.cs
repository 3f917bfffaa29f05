using Google.Rpc;
using HttpRequest = Microsoft.AspNetCore.Http.HttpRequest;
using Grpc.Core;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using Status = Google.Rpc.Status;

namespace ExchangeGateway.Server.Rest;

/// <summary>What the REST surface (JSON transcoding of the unary RPCs) adds on the gateway port, in
/// front of the same endpoints, interceptors and limits as gRPC:
/// <list type="bullet">
/// <item>A request with an <c>Origin</c> header other than the gateway's own is refused: a browser
/// holding an organisation's certificate must not be made to call the gateway from another site.</item>
/// <item>A request with a body must say <c>application/json</c>.</item>
/// <item>The unary call duration limit, which gRPC gets from <c>grpc-timeout</c>, as a cancellation
/// of the call.</item>
/// <item>Every error as <c>application/problem+json</c> (<see cref="Problems"/>), also a route that does
/// not exist.</item>
/// </list>
/// gRPC requests (<c>application/grpc…</c>) pass untouched.</summary>
internal sealed class RestSurfaceMiddleware(RequestDelegate next, IOptions<GatewayOptions> options, TimeProvider time)
{
    private readonly TimeSpan _maxDuration = options.Value.Limits.MaxUnaryCallDuration;

    public static bool IsGrpc(HttpRequest request) =>
        request.ContentType?.StartsWith("application/grpc", StringComparison.OrdinalIgnoreCase) == true;

    public async Task InvokeAsync(HttpContext context)
    {
        if (IsGrpc(context.Request))
        {
            await next(context);
            return;
        }
        // API Design Rules API-57: every answer names the full version of the API.
        context.Response.Headers["API-Version"] = OpenApiDocument.Version;
        if (Refusal(context.Request) is { } refusal)
        {
            await Problems.WriteAsync(context.Response, refusal.HttpStatus, refusal.Status);
            return;
        }
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            // The same bound as a gRPC message (JSON is larger than protobuf, but no real request comes near it).
            limit.MaxRequestBodySize = GatewayHosting.MaxRequestBytes;
        }
        var aborted = context.RequestAborted;
        using var timer = _maxDuration > TimeSpan.Zero ? new CancellationTokenSource(_maxDuration, time) : new CancellationTokenSource();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(aborted, timer.Token);
        context.RequestAborted = deadline.Token;

        // Answers are small (one arrival, a page of a list): held until the call is done, so an error
        // can still be rewritten into a problem.
        var body = context.Response.Body;
        using var buffer = new MemoryStream();
        context.Response.Body = buffer;
        var timedOut = false;
        try
        {
            await next(context);
        }
        catch (OperationCanceledException) when (timer.IsCancellationRequested && !aborted.IsCancellationRequested)
        {
            timedOut = true;
        }
        finally
        {
            context.Response.Body = body;
            context.RequestAborted = aborted;
        }
        var response = context.Response;
        // A call that succeeded stays a success even if the limit passed as it answered (it is committed).
        timedOut |= response.StatusCode >= StatusCodes.Status400BadRequest && timer.IsCancellationRequested && !aborted.IsCancellationRequested;
        if (!timedOut && (response.StatusCode < StatusCodes.Status400BadRequest || response.ContentType?.StartsWith(Problems.ContentType, StringComparison.Ordinal) == true))
        {
            buffer.Position = 0;
            await buffer.CopyToAsync(body, aborted);
            return;
        }
        Status status;
        if (timedOut)
        {
            response.StatusCode = Problems.HttpStatus(StatusCode.DeadlineExceeded);
            status = new Status
            {
                Code = (int)StatusCode.DeadlineExceeded,
                Message = $"The call took longer than {_maxDuration.TotalSeconds:0.###} s. Retry with the same request_id: it answers what was stored, if anything.",
            };
        }
        else
        {
            status = Problems.ReadStatus(buffer.GetBuffer().AsSpan(0, (int)buffer.Length)) ?? Fallback(response.StatusCode);
        }
        response.Headers.ContentLength = null;
        await Problems.WriteAsync(response, response.StatusCode, status);
    }

    private static (int HttpStatus, Status Status)? Refusal(HttpRequest request)
    {
        var origin = request.Headers.Origin.ToString();
        if (origin.Length > 0 && !string.Equals(origin, $"{request.Scheme}://{request.Host}", StringComparison.OrdinalIgnoreCase))
        {
            return (StatusCodes.Status403Forbidden, Problems.StatusOf(GatewayErrors.PermissionDenied("CROSS_ORIGIN_REFUSED",
                "Requests from another origin are refused: the gateway is not called from web pages.")));
        }
        if (request.ContentLength > GatewayHosting.MaxRequestBytes)
        {
            return (StatusCodes.Status413PayloadTooLarge, Problems.StatusOf(GatewayErrors.InvalidArgument("body",
                $"must be at most {GatewayHosting.MaxRequestBytes} bytes")));
        }
        var hasBody = request.ContentLength > 0 || (request.ContentLength is null && request.Headers.TransferEncoding.Count > 0);
        if (hasBody && !(MediaTypeHeaderValue.TryParse(request.ContentType, out var type) && type.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase)))
        {
            var status = Problems.StatusOf(GatewayErrors.InvalidArgument("Content-Type", "must be application/json"));
            return (StatusCodes.Status415UnsupportedMediaType, status);
        }
        return null;
    }

    /// <summary>An error answer that is not a gRPC status (no route, wrong method): its HTTP status said as a problem.</summary>
    private static Status Fallback(int httpStatus) => httpStatus switch
    {
        StatusCodes.Status404NotFound => new Status { Code = (int)Code.NotFound, Message = "No such resource on this gateway." },
        StatusCodes.Status405MethodNotAllowed => new Status { Code = (int)Code.InvalidArgument, Message = "This resource does not take that method." },
        StatusCodes.Status413PayloadTooLarge => new Status { Code = (int)Code.ResourceExhausted, Message = "The request body is larger than the gateway accepts." },
        _ => new Status { Code = (int)Code.Unknown, Message = "The request failed." },
    };
}
