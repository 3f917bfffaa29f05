using ExchangeGateway.EndToEnd.Fixtures;
using ExchangeGateway.Tests.Shared;

namespace ExchangeGateway.EndToEnd;

/// <summary>Clients in another language against the real exgw process over mutual TLS:
/// tests/interop/node/flow.js drives the whole flow with @grpc/grpc-js from the .proto files alone;
/// reflection.js has no .proto file at all and learns the services by server reflection.</summary>
public sealed class NodeInteropTests
{
    private static readonly TimeSpan FlowTimeout = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task NodeGrpcJsClient_WholeFlowOverMutualTls_ExitsZeroWithArrivalCompleted()
    {
        var (node, folder) = await NodeAsync();

        await using var gateway = await TestGateway.StartAsync();
        var result = await ChildProcess.RunAsync(node, ["flow.js", gateway.Address.ToString(), TestPki.Directory], folder, FlowTimeout);

        Assert.True(result.ExitCode == 0,
            $"node flow.js exited with {result.ExitCode}.\n--- node output ---\n{result.Output}\n--- gateway output ---\n{gateway.RecentOutput}");
        Assert.Contains("ARRIVAL_STATE_COMPLETED", result.Output, StringComparison.Ordinal);
        // The refusal's details decoded with nothing but protos/google/rpc.
        Assert.Contains("google.rpc.BadRequest: arrival.travellers[0].v_number", result.Output, StringComparison.Ordinal);
        // A certificate of another CA is a refusal grpc-js recognises, not an outage.
        Assert.Contains("foreign certificate refused: UNAUTHENTICATED", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NodeReflectionClient_WithoutProtos_ListsTheServicesAndCallsPing()
    {
        var (node, folder) = await NodeAsync();

        await using var gateway = await TestGateway.StartAsync();
        var result = await ChildProcess.RunAsync(node, ["reflection.js", gateway.Address.ToString(), TestPki.Directory], folder, FlowTimeout);

        Assert.True(result.ExitCode == 0, $"node reflection.js exited with {result.ExitCode}.\n{result.Output}");
        Assert.Contains("exchange.v1.ArrivalService", result.Output, StringComparison.Ordinal);
        Assert.Contains("grpc.health.v1.Health", result.Output, StringComparison.Ordinal);
        Assert.Contains("Ping by reflection: coa (Coa)", result.Output, StringComparison.Ordinal);
    }

    /// <summary>node, and the interop folder with its packages installed.</summary>
    private static async Task<(string Node, string Folder)> NodeAsync()
    {
        var node = ChildProcess.FindOnPath("node");
        Assert.True(node is not null,
            "Node.js ('node') is not on PATH. The interoperability tests need it (CI installs nodejs and npm, see .ci/run); install Node.js 20 or newer.");
        var folder = Path.Combine(TestRepository.Root(), "tests", "interop", "node");
        await NpmPackages.EnsureAsync(folder, "@grpc/grpc-js", "@grpc/proto-loader", "protobufjs", "grpc-js-reflection-client");
        return (node, folder);
    }
}
