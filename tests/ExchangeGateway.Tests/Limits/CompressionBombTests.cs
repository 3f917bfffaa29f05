using ExchangeGateway.Contracts.V1;
using ExchangeGateway.Tests.Fixtures;
using Grpc.Core;

namespace ExchangeGateway.Tests.Limits;

/// <summary>A gzip-compressed request that inflates far past the largest request the gateway reads.</summary>
public sealed class CompressionBombTests(GatewayHostFixture fixture) : IClassFixture<GatewayHostFixture>
{
    private static readonly Marshaller<byte[]> Bytes = Marshallers.Create(b => b, b => b);

    [Fact]
    public async Task Ping_GzipBombOf64MiB_ResourceExhaustedWithoutInflatingIt()
    {
        // 64 MiB of zeros compress to about 64 KiB: well under the 256 KiB message limit on the wire.
        // grpc-dotnet checks the inflated size against the same limit while inflating; kept as a
        // regression test because an unbounded inflate would let one call take the server's memory.
        var bomb = new byte[64 * 1024 * 1024];
        var method = new Method<byte[], byte[]>(MethodType.Unary, GatewayService.Descriptor.FullName, "Ping", Bytes, Bytes);
        var headers = new Metadata { { "grpc-internal-encoding-request", "gzip" } };
        var allocatedBefore = GC.GetTotalAllocatedBytes();

        var error = await Assert.ThrowsAsync<RpcException>(async () =>
            await fixture.Host.ChannelFor("coa").CreateCallInvoker().AsyncUnaryCall(method, null, new CallOptions(headers), bomb));

        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
        // Client and in-process server share this process: inflating would have allocated 64 MiB or more.
        Assert.InRange(GC.GetTotalAllocatedBytes() - allocatedBefore, 0, 48L * 1024 * 1024);
    }
}
