using System.Globalization;
using System.Runtime.InteropServices;

namespace ExchangeGateway.Cli.Bench;

/// <summary>The machine the figures were taken on.</summary>
internal sealed record MachineInfo(int ProcessorCount, long MemoryBytes, string Cpu, string OperatingSystem, string Runtime)
{
    public static MachineInfo Current() => new(
        Environment.ProcessorCount,
        ProcValue("/proc/meminfo", "MemTotal") is { } total ? long.Parse(total.Split(' ')[0], CultureInfo.InvariantCulture) * 1024 : 0,
        ProcValue("/proc/cpuinfo", "model name") ?? RuntimeInformation.ProcessArchitecture.ToString(),
        RuntimeInformation.OSDescription,
        RuntimeInformation.FrameworkDescription);

    public string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"{ProcessorCount} cores ({Cpu}), {MemoryBytes / (1024.0 * 1024 * 1024):F1} GiB memory, {OperatingSystem}, {Runtime}");

    /// <summary>The 1, 5 and 15 minute load averages: how busy the machine was with other work.</summary>
    public static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";

    private static string? ProcValue(string path, string key)
    {
        if (!File.Exists(path))
        {
            return null;
        }
        foreach (var line in File.ReadLines(path))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0 && line[..colon].Trim() == key)
            {
                return line[(colon + 1)..].Trim();
            }
        }
        return null;
    }
}
