using ExchangeGateway.Contracts.V1;
using ExchangeGateway.Server.Hosting;
using ExchangeGateway.Server.Limits;
using ExchangeGateway.Tests.Fixtures;
using Grpc.AspNetCore.Server;
using Grpc.Core;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace ExchangeGateway.Tests.Limits;

/// <summary>The server-side maximum duration of unary calls.</summary>
public sealed class CallDeadlineTests
{
    private static readonly Marshaller<byte[]> Bytes = Marshallers.Create(b => b, b => b);

    [Theory]
    [InlineData(null, "30000m")]
    [InlineData("", "30000m")]
    [InlineData("5S", "5S")]
    [InlineData("29999m", "29999m")]
    [InlineData("31S", "30000m")]
    [InlineData("1H", "30000m")]
    [InlineData("99999999H", "30000m")]
    [InlineData("123456789m", "30000m")]
    [InlineData("-5S", "30000m")]
    [InlineData("5x", "30000m")]
    [InlineData("S", "30000m")]
    public async Task InvokeAsync_UnaryCall_ClampsGrpcTimeoutToMaximum(string? asked, string expected)
    {
        var context = Context(MethodType.Unary, asked);

        await Middleware(TimeSpan.FromSeconds(30)).InvokeAsync(context);

        Assert.Equal(expected, context.Request.Headers["grpc-timeout"].ToString());
    }

    [Fact]
    public async Task InvokeAsync_FeedStream_KeepsNoDeadline()
    {
        var context = Context(MethodType.DuplexStreaming, asked: null);

        await Middleware(TimeSpan.FromSeconds(30)).InvokeAsync(context);

        Assert.False(context.Request.Headers.ContainsKey("grpc-timeout"));
    }

    [Fact]
    public async Task InvokeAsync_MaximumZero_LeavesCallsAlone()
    {
        var context = Context(MethodType.Unary, asked: null);

        await Middleware(TimeSpan.Zero).InvokeAsync(context);

        Assert.False(context.Request.Headers.ContainsKey("grpc-timeout"));
    }

    [Theory]
    [InlineData("1n", 0)]
    [InlineData("1500u", 15_000)]
    [InlineData("250m", 2_500_000)]
    [InlineData("2S", 20_000_000)]
    [InlineData("2M", 1_200_000_000)]
    [InlineData("1H", 36_000_000_000)]
    public void TryParse_EveryUnit_ReadsTheTimeout(string value, long ticks)
    {
        Assert.True(GrpcTimeout.TryParse(value, out var timeout));
        Assert.Equal(TimeSpan.FromTicks(ticks), timeout);
    }

    [Fact]
    public void Format_LongerThanEightDigitsOfMilliseconds_UsesSeconds()
    {
        Assert.Equal("200000S", GrpcTimeout.Format(TimeSpan.FromSeconds(200_000)));
        Assert.Equal("1m", GrpcTimeout.Format(TimeSpan.FromTicks(1)));
    }

    // The effect on a stuck handler over real HTTP/2 is proven in EndToEnd (CallDeadlineProcessTests):
    // on TestServer grpc-dotnet's reset after the DEADLINE_EXCEEDED trailers reaches the client first.

    [Fact]
    public async Task Ping_ClientDeadlineLongerThanMaximum_IsServed()
    {
        await using var host = await GatewayHost.StartAsync(configure: o => o.Limits.MaxUnaryCallDuration = TimeSpan.FromSeconds(1));
        var gateway = new GatewayService.GatewayServiceClient(host.ChannelFor("ind"));

        var pong = await gateway.PingAsync(new PingRequest(), deadline: DateTime.UtcNow.AddHours(1));

        Assert.Equal("ind", pong.OrganisationId);
    }

    private static CallDeadlineMiddleware Middleware(TimeSpan max) =>
        new(_ => Task.CompletedTask, Options.Create(new GatewayOptions { Limits = { MaxUnaryCallDuration = max } }));

    private static DefaultHttpContext Context(MethodType type, string? asked)
    {
        var context = new DefaultHttpContext();
        var method = new Method<byte[], byte[]>(type, "exchange.v1.Test", "Call", Bytes, Bytes);
        context.SetEndpoint(new Endpoint(null, new EndpointMetadataCollection(new GrpcMethodMetadata(typeof(object), method)), "test"));
        if (asked is not null)
        {
            context.Request.Headers["grpc-timeout"] = asked;
        }
        return context;
    }
}
