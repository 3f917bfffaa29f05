using System.Globalization;
using ExchangeGateway.Server.Rules;
using ExchangeGateway.Tests.Rules;

namespace ExchangeGateway.Tests.Fixtures;

/// <summary>Municipality table files for tests that replace the table: the shipped table 33 with some
/// codes closed (merged into a successor) on a given date.</summary>
internal static class TestTables
{
    private static readonly Lazy<MunicipalityTable> Shipped = new(() => MunicipalityTable.Load(MunicipalityTableTests.ShippedPath));

    /// <summary>Writes the shipped table to <paramref name="path"/> with each of <paramref name="closures"/>
    /// closed from its date on and merged into its successor. Written beside the target and moved over
    /// it, as an operator replaces the file, so the gateway never reads a half-written table.</summary>
    public static void WriteShipped(string path, params (string Code, string Successor, DateOnly ValidUntil)[] closures)
    {
        var changed = closures.ToDictionary(c => c.Code, StringComparer.Ordinal);
        var lines = File.ReadLines(MunicipalityTableTests.ShippedPath).Take(1).ToList();
        foreach (var municipality in Shipped.Value.All.OrderBy(m => m.Code, StringComparer.Ordinal))
        {
            var row = changed.TryGetValue(municipality.Code, out var closure)
                ? municipality with { SuccessorCode = closure.Successor, ValidUntil = closure.ValidUntil }
                : municipality;
            lines.Add(Line(row));
        }
        var temporary = path + ".new";
        File.WriteAllLines(temporary, lines);
        File.Move(temporary, path, overwrite: true);
    }

    private static string Line(Municipality m) => string.Join(",",
        Quote(m.Code), Quote(m.Name), Quote(m.SuccessorCode ?? ""), Quote(Date(m.ValidFrom)), Quote(Date(m.ValidUntil)));

    private static string Date(DateOnly? date) => date?.ToString("yyyyMMdd", CultureInfo.InvariantCulture) ?? "";

    private static string Quote(string value) => "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
}
