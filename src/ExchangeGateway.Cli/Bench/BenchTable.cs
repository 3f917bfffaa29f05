using System.Globalization;

namespace ExchangeGateway.Cli.Bench;

/// <summary>Prints the figures as a Markdown table (readable in a terminal, pasteable into the README).</summary>
internal static class BenchTable
{
    public static void Print(BenchResults results, TextWriter output)
    {
        output.WriteLine();
        output.WriteLine($"Machine: {results.Machine.Describe()}");
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Mode: {results.Mode}; total {results.TotalSeconds:F0} s"));
        output.WriteLine();
        output.WriteLine("| scenario | figure | value | × baseline | target | result |");
        output.WriteLine("| --- | --- | ---: | ---: | --- | --- |");
        foreach (var figure in results.Figures)
        {
            var ratio = figure.RatioToBaseline is { } r && !double.IsNaN(r)
                ? string.Create(CultureInfo.InvariantCulture, $"{r:0.###} ({figure.Baseline})")
                : "";
            var result = figure.Pass switch { true => "PASS", false => "**MISS**", null => "" };
            output.WriteLine($"| {figure.Scenario} | {figure.Name} | {Format(figure.Value, figure.Unit)} | {ratio} | {figure.Target} | {result} |");
        }
        foreach (var note in results.Notes)
        {
            output.WriteLine();
            output.WriteLine("- " + note);
        }
    }

    public static string Format(double value, string unit)
    {
        if (double.IsNaN(value))
        {
            return "n/a";
        }
        var number = unit switch
        {
            "ms" => value < 1 ? value.ToString("0.000", CultureInfo.InvariantCulture)
                : value < 10 ? value.ToString("0.00", CultureInfo.InvariantCulture) : value.ToString("N1", CultureInfo.InvariantCulture),
            "s" => value.ToString("0.00", CultureInfo.InvariantCulture),
            "MiB" or "KiB" => value.ToString("N1", CultureInfo.InvariantCulture),
            _ => value.ToString("N0", CultureInfo.InvariantCulture),
        };
        return $"{number} {unit}";
    }
}
