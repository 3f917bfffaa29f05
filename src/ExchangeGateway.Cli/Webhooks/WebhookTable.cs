using System.Globalization;
using ExchangeGateway.Contracts.V1;
using ExchangeGateway.Server.Rules;

namespace ExchangeGateway.Cli.Webhooks;

/// <summary>The webhook subscriptions as an aligned table, one row per feed.</summary>
internal static class WebhookTable
{
    public static void Write(ListWebhookSubscriptionsResponse response, TextWriter output)
    {
        string[] header = ["feed", "organisation", "url", "unacknowledged", "parked", "failures", "last attempt"];
        var rows = response.Subscriptions.Select(s => new[]
        {
            s.Feed,
            s.OrganisationId,
            s.Url,
            s.Unacknowledged.ToString(CultureInfo.InvariantCulture),
            s.Parked.ToString(CultureInfo.InvariantCulture),
            s.ConsecutiveFailures.ToString(CultureInfo.InvariantCulture),
            s.LastAttempt is { } last
                ? string.Create(CultureInfo.InvariantCulture, $"{TimeZoneInfo.ConvertTime(last.At.ToDateTimeOffset(), AmsterdamCalendar.Zone):yyyy-MM-dd HH:mm:ss} #{last.Sequence} {last.Outcome}")
                : "none (by the instance answering)",
        }).ToList();
        if (rows.Count == 0)
        {
            output.WriteLine("No webhook subscription: every feed is read by a stream or by polling. Operators add them in the organisation registry.");
            return;
        }
        var widths = header.Select((h, i) => rows.Select(r => r[i].Length).Append(h.Length).Max()).ToArray();
        output.WriteLine(Line(header, widths));
        output.WriteLine(string.Join("  ", widths.Select(w => new string('-', w))));
        foreach (var row in rows)
        {
            output.WriteLine(Line(row, widths));
        }
    }

    private static string Line(string[] cells, int[] widths) =>
        string.Join("  ", cells.Select((c, i) => i == cells.Length - 1 ? c : c.PadRight(widths[i]))).TrimEnd();
}
