using ExchangeGateway.EndToEnd.Fixtures;
using ExchangeGateway.Tests.Shared;

namespace ExchangeGateway.EndToEnd;

/// <summary>A client in another language: tests/interop/node/flow.js drives the whole flow with
/// @grpc/grpc-js over mutual TLS against the real exgw process, from the .proto files alone.</summary>
public sealed class NodeInteropTests
{
    private static readonly TimeSpan FlowTimeout = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task NodeGrpcJsClient_WholeFlowOverMutualTls_ExitsZeroWithArrivalCompleted()
    {
        var node = ProcessRunner.FindOnPath("node");
        Assert.True(node is not null,
            "Node.js ('node') is not on PATH. The interoperability test needs it (CI installs nodejs and npm, see .ci/run); install Node.js 20 or newer.");
        var folder = Path.Combine(ProcessRunner.RepositoryRoot(), "tests", "interop", "node");
        Assert.True(File.Exists(Path.Combine(folder, "flow.js")), $"{folder}/flow.js is missing.");
        await NpmPackages.EnsureAsync(folder, "@grpc/grpc-js", "@grpc/proto-loader", "protobufjs");

        await using var gateway = await GatewayProcess.StartAsync();
        var result = await ProcessRunner.RunAsync(node, ["flow.js", gateway.Address.ToString(), TestPki.Directory], folder, FlowTimeout);

        Assert.True(result.ExitCode == 0,
            $"node flow.js exited with {result.ExitCode}.\n--- node output ---\n{result.Output}\n--- gateway output ---\n{gateway.RecentOutput}");
        Assert.Contains("ARRIVAL_STATE_COMPLETED", result.Output, StringComparison.Ordinal);
        // The refusal's details decoded with nothing but protos/google/rpc.
        Assert.Contains("google.rpc.BadRequest: arrival.travellers[0].v_number", result.Output, StringComparison.Ordinal);
    }
}
