using ExchangeGateway.Contracts.V1;
using ExchangeGateway.Tests.Fixtures;
using Google.Rpc;
using Grpc.Core;

namespace ExchangeGateway.Tests.Limits;

/// <summary>A request body that is not a valid protobuf message is INVALID_ARGUMENT, not UNKNOWN.</summary>
public sealed class StrictRequestParsingTests(GatewayHostFixture fixture) : IClassFixture<GatewayHostFixture>
{
    private static readonly Marshaller<byte[]> Bytes = Marshallers.Create(b => b, b => b);

    // A field 1 (string) that claims 100 bytes but ends after 2: a truncated message.
    private static readonly byte[] Truncated = [0x0A, 0x64, 0x41, 0x42];

    [Fact]
    public async Task AnnounceArrival_TruncatedMessage_InvalidArgumentNamingTheRequest()
    {
        var error = await RpcAssert.ThrowsAsync(StatusCode.InvalidArgument, () => Unary("coa", ArrivalService.Descriptor.FullName, "AnnounceArrival", Truncated));

        var violation = Assert.Single(error.GetRpcStatus()!.GetDetail<BadRequest>()!.FieldViolations);
        Assert.Equal("request", violation.Field);
        Assert.Contains("exchange.v1.AnnounceArrivalRequest", violation.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LookupTraveller_InvalidUtf8InString_InvalidArgument()
    {
        byte[] invalidUtf8 = [0x0A, 0x02, 0xC3, 0x28];

        await RpcAssert.ThrowsAsync(StatusCode.InvalidArgument, () => Unary("ind", IndService.Descriptor.FullName, "LookupTraveller", invalidUtf8));
    }

    [Fact]
    public async Task Ping_GroupsNestedPastRecursionLimit_InvalidArgument()
    {
        // Unknown field 9 as a start-group, 200 deep: past protobuf's recursion limit of 100.
        var nested = Enumerable.Repeat((byte)0x4B, 200).Concat(Enumerable.Repeat((byte)0x4C, 200)).ToArray();

        await RpcAssert.ThrowsAsync(StatusCode.InvalidArgument, () => Unary("coa", GatewayService.Descriptor.FullName, "Ping", nested));
    }

    [Fact]
    public async Task Subscribe_GarbageFirstMessage_InvalidArgument()
    {
        var method = new Method<byte[], byte[]>(MethodType.DuplexStreaming, NoticeFeed.Descriptor.FullName, "Subscribe", Bytes, Bytes);
        using var call = fixture.Host.ChannelFor("gemeente-amsterdam").CreateCallInvoker().AsyncDuplexStreamingCall(method, null, new CallOptions());
        await call.RequestStream.WriteOrEndedAsync(Truncated);

        await RpcAssert.ThrowsAsync(StatusCode.InvalidArgument, () => call.ResponseStream.MoveNext());
    }

    [Fact]
    public async Task Ping_ValidEmptyMessage_StillServed()
    {
        var answer = await Unary("coa", GatewayService.Descriptor.FullName, "Ping", []);

        Assert.Equal("coa", PingResponse.Parser.ParseFrom(answer).OrganisationId);
    }

    private async Task<byte[]> Unary(string organisation, string service, string name, byte[] body)
    {
        var method = new Method<byte[], byte[]>(MethodType.Unary, service, name, Bytes, Bytes);
        return await fixture.Host.ChannelFor(organisation).CreateCallInvoker().AsyncUnaryCall(method, null, new CallOptions(), body);
    }
}
