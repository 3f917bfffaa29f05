using ExchangeGateway.EndToEnd.Fixtures;
using ExchangeGateway.Tests.Shared;

namespace ExchangeGateway.EndToEnd;

/// <summary>A client in another language: tests/interop/node/flow.js drives the whole flow with
/// @grpc/grpc-js over mutual TLS against the real exgw process, from the .proto files alone.</summary>
public sealed class NodeInteropTests
{
    private static readonly TimeSpan InstallTimeout = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan FlowTimeout = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task NodeGrpcJsClient_WholeFlowOverMutualTls_ExitsZeroWithArrivalCompleted()
    {
        var node = ProcessRunner.FindOnPath("node");
        Assert.True(node is not null,
            "Node.js ('node') is not on PATH. The interoperability test needs it (CI installs nodejs and npm, see .ci/run); install Node.js 20 or newer.");
        var folder = Path.Combine(ProcessRunner.RepositoryRoot(), "tests", "interop", "node");
        Assert.True(File.Exists(Path.Combine(folder, "flow.js")), $"{folder}/flow.js is missing.");
        await EnsurePackagesAsync(folder);

        await using var gateway = await GatewayProcess.StartAsync();
        var result = await ProcessRunner.RunAsync(node, ["flow.js", gateway.Address.ToString(), TestPki.Directory], folder, FlowTimeout);

        Assert.True(result.ExitCode == 0,
            $"node flow.js exited with {result.ExitCode}.\n--- node output ---\n{result.Output}\n--- gateway output ---\n{gateway.RecentOutput}");
        Assert.Contains("ARRIVAL_STATE_COMPLETED", result.Output, StringComparison.Ordinal);
    }

    /// <summary>npm install, once, when node_modules lacks the two packages (package-lock.json and
    /// node_modules are not committed).</summary>
    private static async Task EnsurePackagesAsync(string folder)
    {
        string[] packages = ["@grpc/grpc-js", "@grpc/proto-loader"];
        if (packages.All(p => File.Exists(Path.Combine(folder, "node_modules", p, "package.json"))))
        {
            return;
        }
        var npm = ProcessRunner.FindOnPath("npm");
        Assert.True(npm is not null, $"npm is not on PATH, and {folder}/node_modules is missing; install npm (CI installs it, see .ci/run).");
        var install = await ProcessRunner.RunAsync(npm, ["install", "--no-package-lock", "--no-audit", "--no-fund"], folder, InstallTimeout);
        Assert.True(install.ExitCode == 0, $"npm install failed with {install.ExitCode}:\n{install.Output}");
    }
}
