namespace ExchangeGateway.EndToEnd.Fixtures;

/// <summary>The npm packages a folder's package.json names, installed once when node_modules lacks
/// them (package-lock.json and node_modules are never committed).</summary>
public static class NpmPackages
{
    private static readonly TimeSpan InstallTimeout = TimeSpan.FromMinutes(5);

    public static async Task EnsureAsync(string folder, params string[] packages)
    {
        if (packages.All(p => File.Exists(Path.Combine(folder, "node_modules", p, "package.json"))))
        {
            return;
        }
        var npm = ChildProcess.FindOnPath("npm");
        Assert.True(npm is not null, $"npm is not on PATH, and {folder}/node_modules is missing; install npm (CI installs it, see .ci/run).");
        var install = await ChildProcess.RunAsync(npm, ["install", "--no-package-lock", "--no-audit", "--no-fund"], folder, InstallTimeout);
        Assert.True(install.ExitCode == 0, $"npm install failed with {install.ExitCode}:\n{install.Output}");
    }
}
