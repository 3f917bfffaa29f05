using System.Text.Json;
using ExchangeGateway.Server.Hosting;
using ExchangeGateway.Server.Rest;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace ExchangeGateway.Tests.Rest;

/// <summary>The unary call duration limit on the REST surface, where no <c>grpc-timeout</c> carries it.</summary>
public sealed class RestSurfaceMiddlewareTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);

    private static (RestSurfaceMiddleware Middleware, DefaultHttpContext Context, MemoryStream Body) Create(RequestDelegate next, TimeProvider time)
    {
        var options = Options.Create(new GatewayOptions());
        options.Value.Limits.MaxUnaryCallDuration = Limit;
        var context = new DefaultHttpContext();
        context.Request.Method = "GET";
        context.Request.Path = "/v1/ping";
        var body = new MemoryStream();
        context.Response.Body = body;
        return (new RestSurfaceMiddleware(next, options, time), context, body);
    }

    [Fact]
    public async Task InvokeAsync_CallLongerThanTheLimit_504ProblemDeadlineExceeded()
    {
        var time = new FakeTimeProvider();
        var started = new TaskCompletionSource();
        var (middleware, context, body) = Create(async c =>
        {
            started.SetResult();
            await Task.Delay(Timeout.InfiniteTimeSpan, c.RequestAborted);
        }, time);

        var call = middleware.InvokeAsync(context);
        await started.Task;
        time.Advance(Limit + TimeSpan.FromMilliseconds(1));
        await call;

        Assert.Equal(StatusCodes.Status504GatewayTimeout, context.Response.StatusCode);
        Assert.Equal(Problems.ContentType, context.Response.ContentType);
        var problem = JsonDocument.Parse(body.ToArray()).RootElement;
        Assert.Equal("DEADLINE_EXCEEDED", problem.GetProperty("code").GetString());
    }

    [Fact]
    public async Task InvokeAsync_CallWithinTheLimit_AnswerPassesUnchanged()
    {
        var time = new FakeTimeProvider();
        var (middleware, context, body) = Create(async c =>
        {
            c.Response.ContentType = "application/json";
            await c.Response.WriteAsync("{\"organisationId\":\"coa\"}", c.RequestAborted);
        }, time);

        await middleware.InvokeAsync(context);
        time.Advance(Limit * 2);

        Assert.Equal(StatusCodes.Status200OK, context.Response.StatusCode);
        Assert.Equal("{\"organisationId\":\"coa\"}", System.Text.Encoding.UTF8.GetString(body.ToArray()));
    }
}
