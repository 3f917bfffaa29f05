using System.Text.Json;
using System.Text.Json.Serialization;

namespace ExchangeGateway.Cli.Bench;

/// <summary>One line of the printed table: a figure, its ratio to the no-op baseline where one
/// applies, and the target it is held against where there is one.</summary>
internal sealed record Figure(string Scenario, string Name, double Value, string Unit, double? RatioToBaseline = null,
    string? Baseline = null, string? Target = null, bool? Pass = null);

/// <summary>Everything a run measured, written as JSON to --out.</summary>
internal sealed class BenchResults
{
    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public required string Mode { get; init; }

    public required MachineInfo Machine { get; init; }

    public DateTimeOffset StartedAt { get; init; } = DateTimeOffset.UtcNow;

    public double TotalSeconds { get; set; }

    /// <summary>Per scenario its detailed result: baseline, announce, endToEnd, burst, catchUp, streams, footprint.</summary>
    public Dictionary<string, object> Scenarios { get; } = [];

    public List<Figure> Figures { get; } = [];

    public List<string> Notes { get; } = [];

    public void Add(Figure figure) => Figures.Add(figure);

    public async Task WriteAsync(string path, CancellationToken cancellationToken)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }
        await using var file = File.Create(path);
        await JsonSerializer.SerializeAsync(file, this, Json, cancellationToken);
    }
}
