using System.Text.Json.Nodes;
using ExchangeGateway.EndToEnd.Fixtures;
using ExchangeGateway.Tests.Shared;

namespace ExchangeGateway.EndToEnd;

/// <summary>The committed OpenAPI document passes Spectral (spectral:oas and the API Design Rules
/// restated in openapi/.spectral.yaml) without a single finding, and the same ruleset catches a
/// document that breaks the rules.</summary>
public sealed class OpenApiLintTests
{
    private static readonly TimeSpan LintTimeout = TimeSpan.FromSeconds(90);

    private static async Task<ProcessResult> LintAsync(string document)
    {
        var node = ChildProcess.FindOnPath("node");
        Assert.True(node is not null, "Node.js ('node') is not on PATH; the OpenAPI lint runs Spectral (CI installs nodejs and npm, see .ci/run).");
        var tool = Path.Combine(TestRepository.Root(), "tools", "spectral");
        await NpmPackages.EnsureAsync(tool, "@stoplight/spectral-cli");
        var cli = Path.Combine(tool, "node_modules", "@stoplight", "spectral-cli", "dist", "index.js");
        var ruleset = Path.Combine(TestRepository.Root(), "openapi", ".spectral.yaml");
        return await ChildProcess.RunAsync(node, [cli, "lint", document, "--ruleset", ruleset, "--fail-severity", "hint"], tool, LintTimeout);
    }

    [Fact]
    public async Task Lint_CommittedDocument_NoFinding()
    {
        var result = await LintAsync(Path.Combine(TestRepository.Root(), "openapi", "exchange-v1.json"));

        Assert.True(result.ExitCode == 0, $"spectral lint exited with {result.ExitCode}:\n{result.Output}");
        Assert.Contains("No results with a severity of 'hint' or higher found", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Lint_DocumentBreakingTheDesignRules_FindsEachBreach()
    {
        var document = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(TestRepository.Root(), "openapi", "exchange-v1.json")))!;
        document["info"]!["version"] = "v1";
        document["paths"]!["/Traveller_Lookups/"] = document["paths"]!["/traveller-lookups"]!.DeepClone();
        document["servers"]![0]!["url"] = "https://exchange-gateway.example";
        var path = Path.Combine(Directory.CreateTempSubdirectory("exgw-openapi-").FullName, "broken.json");
        await File.WriteAllTextAsync(path, document.ToJsonString());

        var result = await LintAsync(path);

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("nlgov-api-56-semver", result.Output, StringComparison.Ordinal);
        Assert.Contains("nlgov-api-05-kebab-case-paths", result.Output, StringComparison.Ordinal);
        Assert.Contains("nlgov-api-20-major-version-in-uri", result.Output, StringComparison.Ordinal);
    }
}
