using System.Globalization;
using Grpc.Core;
using Microsoft.AspNetCore.Connections.Features;
using ExchangeGateway.Server.Rest;
using Microsoft.AspNetCore.Http;

namespace ExchangeGateway.Server.Identity;

/// <summary>The first step of every request on the gateway port. The TLS handshake admits any client
/// certificate (or none), because a handshake refused on Linux ends with the connection closed and no
/// TLS alert, which gRPC clients (grpc-js, grpc-dotnet) report as UNAVAILABLE and retry as an outage.
/// Here a connection whose certificate is refused gets, for every request, a trailers-only gRPC answer
/// (on REST: a 401 problem) UNAUTHENTICATED with the reason (ErrorInfo CLIENT_CERTIFICATE_REQUIRED, CLIENT_CERTIFICATE_REFUSED or
/// OIN_MISSING), before routing, parsing or any other work, and the connection is closed after it.
/// The verdict is the validator's, cached per certificate, as in the handshake.</summary>
internal sealed class RefusedCertificateMiddleware(RequestDelegate next, CallerResolver callers)
{
    public Task InvokeAsync(HttpContext context) =>
        callers.CertificateRefusal(context.Connection.ClientCertificate, null) is { } refusal
            ? RefuseAsync(context, refusal)
            : next(context);

    private static Task RefuseAsync(HttpContext context, RpcException refusal)
    {
        // GOAWAY (or Connection: close) once this answer is out: the client opens a new connection if it tries again.
        context.Features.Get<IConnectionLifetimeNotificationFeature>()?.RequestClose();
        if (!RestSurfaceMiddleware.IsGrpc(context.Request))
        {
            return Problems.WriteAsync(context.Response, Problems.HttpStatus(refusal.StatusCode), Problems.StatusOf(refusal));
        }
        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "application/grpc";
        response.Headers["grpc-status"] = ((int)refusal.StatusCode).ToString(CultureInfo.InvariantCulture);
        response.Headers["grpc-message"] = Uri.EscapeDataString(refusal.Status.Detail);
        foreach (var entry in refusal.Trailers.Where(e => e.IsBinary))
        {
            response.Headers[entry.Key] = Convert.ToBase64String(entry.ValueBytes);
        }
        return Task.CompletedTask; // the answer is its headers: the response ends with the pipeline
    }
}
