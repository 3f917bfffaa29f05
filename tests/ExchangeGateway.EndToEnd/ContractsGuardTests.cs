using ExchangeGateway.Tests.Shared;
using ExchangeGateway.EndToEnd.Fixtures;

namespace ExchangeGateway.EndToEnd;

/// <summary>protos/ stays clean and backwards compatible: <c>buf lint</c> with the exceptions buf.yaml
/// gives reasons for, and <c>buf breaking</c> against the committed image of the published contracts
/// (tools/buf/baseline.binpb); and the check does catch a break.</summary>
public sealed class ContractsGuardTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);

    private static string Root => TestRepository.Root();

    private static string Baseline => Path.Combine(Root, "tools", "buf", "baseline.binpb");

    [Fact]
    public async Task BufLint_Protos_NoFindings()
    {
        var result = await BufAsync(Root, "lint");

        Assert.True(result.ExitCode == 0, "buf lint:\n" + result.Output);
    }

    [Fact]
    public async Task BufBreaking_AgainstPublishedBaseline_NoBreakingChange()
    {
        var result = await BufAsync(Root, "breaking", "--against", Baseline);

        Assert.True(result.ExitCode == 0, "buf breaking:\n" + result.Output);
    }

    [Fact]
    public async Task BufBreaking_FieldRenumbered_Detected()
    {
        var copy = Directory.CreateTempSubdirectory("exgw-buf-").FullName;
        File.Copy(Path.Combine(Root, "buf.yaml"), Path.Combine(copy, "buf.yaml"));
        CopyDirectory(Path.Combine(Root, "protos"), Path.Combine(copy, "protos"));
        var arrivals = Path.Combine(copy, "protos", "exchange", "v1", "arrivals.proto");
        var text = await File.ReadAllTextAsync(arrivals);
        Assert.Contains("string request_id = 1;", text, StringComparison.Ordinal);
        await File.WriteAllTextAsync(arrivals, text.Replace("string request_id = 1;", "string request_id = 99;", StringComparison.Ordinal));

        var result = await BufAsync(copy, "breaking", "--against", Baseline);

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("request_id", result.Output, StringComparison.Ordinal);
        Directory.Delete(copy, recursive: true);
    }

    private static async Task<ProcessResult> BufAsync(string directory, params string[] arguments)
    {
        var tools = Path.Combine(Root, "tools", "buf");
        await NpmPackages.EnsureAsync(tools, "@bufbuild/buf");
        return await ChildProcess.RunAsync(Path.Combine(tools, "node_modules", ".bin", "buf"), arguments, directory, Timeout);
    }

    private static void CopyDirectory(string from, string to)
    {
        foreach (var file in Directory.EnumerateFiles(from, "*.proto", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }
}
