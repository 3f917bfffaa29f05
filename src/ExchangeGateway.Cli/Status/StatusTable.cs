using System.Globalization;
using ExchangeGateway.Contracts.V1;
using ExchangeGateway.Server.Arrivals;
using ExchangeGateway.Server.Rules;

namespace ExchangeGateway.Cli.Status;

/// <summary>Prints the chain overview as an aligned table: one row per municipality, the national
/// totals last. Arrival states appear as columns only when some arrival in the country is in them,
/// so the table stays as narrow as the figures allow.</summary>
internal static class StatusTable
{
    public static void Write(GetOverviewResponse overview, TextWriter output)
    {
        var asOf = overview.AsOf?.ToDateTimeOffset() ?? DateTimeOffset.UtcNow;
        var states = (overview.National?.ArrivalsByState ?? []).Select(s => s.State).Where(s => s != ArrivalState.Unspecified).Distinct().Order().ToList();
        string[] header = ["code", "name", "open", .. states.Select(Header), "escalations", "unannounced", "unacknowledged", "oldest"];
        var rows = overview.Municipalities.Select(m => Cells(m, m.MunicipalityCode, m.Name, states, asOf)).ToList();
        var national = Cells(overview.National ?? new MunicipalityOverview(), "", "national total", states, asOf);

        var widths = header.Select((h, i) => rows.Append(national).Select(r => r[i].Length).Append(h.Length).Max()).ToArray();
        var local = TimeZoneInfo.ConvertTime(asOf, AmsterdamCalendar.Zone);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Chain overview as of {local:yyyy-MM-dd HH:mm:ss} (Europe/Amsterdam)"));
        output.WriteLine();
        WriteLine(output, header, widths);
        var rule = string.Join("  ", widths.Select(w => new string('-', w)));
        output.WriteLine(rule);
        if (rows.Count == 0)
        {
            output.WriteLine("(no municipality has arrivals, unannounced reports or unacknowledged notices)");
        }
        foreach (var row in rows)
        {
            WriteLine(output, row, widths);
        }
        output.WriteLine(rule);
        WriteLine(output, national, widths);
    }

    /// <summary>How long ago, in the two largest units that matter: "45s", "12m", "3h 05m", "2d 04h".</summary>
    public static string Age(TimeSpan age)
    {
        if (age < TimeSpan.Zero)
        {
            age = TimeSpan.Zero; // clocks of gateway and this machine differ a little
        }
        return age.TotalMinutes < 1 ? string.Create(CultureInfo.InvariantCulture, $"{age.Seconds}s")
            : age.TotalHours < 1 ? string.Create(CultureInfo.InvariantCulture, $"{age.Minutes}m")
            : age.TotalDays < 1 ? string.Create(CultureInfo.InvariantCulture, $"{age.Hours}h {age.Minutes:D2}m")
            : string.Create(CultureInfo.InvariantCulture, $"{(int)age.TotalDays}d {age.Hours:D2}h");
    }

    private static string[] Cells(MunicipalityOverview row, string code, string name, List<ArrivalState> states, DateTimeOffset asOf)
    {
        var byState = row.ArrivalsByState.GroupBy(s => s.State).ToDictionary(g => g.Key, g => g.Sum(s => s.Count));
        var open = byState.Where(s => ArrivalLifecycle.IsOpen(s.Key)).Sum(s => s.Value);
        var oldest = row.OldestUnacknowledgedNotice is { } at ? Age(asOf - at.ToDateTimeOffset()) : "";
        return
        [
            code,
            name,
            Count(open),
            .. states.Select(s => Count(byState.GetValueOrDefault(s))),
            Count(row.OpenEscalations.Sum(e => e.Count)),
            Count(row.Unannounced.Sum(u => u.Count)),
            Count(row.UnacknowledgedNotices),
            oldest,
        ];
    }

    private static string Count(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    private static string Header(ArrivalState state) => state switch
    {
        ArrivalState.Announced => "announced",
        ArrivalState.AwaitingConsent => "awaiting consent",
        ArrivalState.Acknowledged => "acknowledged",
        ArrivalState.Departed => "departed",
        ArrivalState.Arrived => "arrived",
        ArrivalState.Completed => "completed",
        ArrivalState.Cancelled => "cancelled",
        ArrivalState.ConsentRefused => "consent refused",
        _ => state.ToString().ToLowerInvariant(),
    };

    /// <summary>Code and name to the left, figures to the right; no trailing spaces.</summary>
    private static void WriteLine(TextWriter output, string[] cells, int[] widths)
    {
        var padded = cells.Select((cell, i) => i < 2 ? cell.PadRight(widths[i]) : cell.PadLeft(widths[i]));
        output.WriteLine(string.Join("  ", padded).TrimEnd());
    }
}
