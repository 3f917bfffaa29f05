using ExchangeGateway.Contracts.V1;
using ExchangeGateway.Server.Arrivals;
using ExchangeGateway.Server.Dashboard;
using Google.Protobuf.WellKnownTypes;
using Microsoft.EntityFrameworkCore;

namespace ExchangeGateway.Server.Chain;

/// <summary>The overview's figures over time. Each series is one range scan on an index over its
/// time column (Arrivals.AnnouncedAt, Escalations.RaisedAt and ResolvedAt, UnannouncedReports.ReportedAt,
/// the key of FeedLagSnapshots), reading back one narrow row per event in the period and counting
/// per day here: the cost follows what happened in the period asked for, never the table's size.</summary>
internal static class OverviewSeriesQuery
{
    /// <summary>Longest period a series may cover.</summary>
    public const int MaxDays = 366;

    /// <summary>Most points of a lag series: more snapshots than this are thinned to the worst per step.</summary>
    public const int MaxLagPoints = 500;

    public static async Task<OverviewSeries> RunAsync(GatewayDbContext db, int days, DashboardOptions options, DateTime asOf, CancellationToken cancellationToken)
    {
        var today = DateOnly.FromDateTime(asOf);
        var first = today.AddDays(1 - days);
        var since = first.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc);
        var series = new OverviewSeries { From = ArrivalMapping.ToDate(first) };

        var announced = await db.Arrivals.AsNoTracking().Where(a => a.AnnouncedAt >= since).Select(a => a.AnnouncedAt).ToListAsync(cancellationToken);
        var perDay = announced.GroupBy(DateOnly.FromDateTime).ToDictionary(g => g.Key, g => (long)g.Count());
        for (var day = first; day <= today; day = day.AddDays(1))
        {
            series.ArrivalsAnnounced.Add(new DayCount { Day = ArrivalMapping.ToDate(day), Count = perDay.GetValueOrDefault(day) });
        }

        var raised = await db.Escalations.AsNoTracking().Where(e => e.RaisedAt >= since).Select(e => new { At = e.RaisedAt, e.Kind }).ToListAsync(cancellationToken);
        var resolved = await db.Escalations.AsNoTracking().Where(e => e.ResolvedAt >= since).Select(e => new { At = e.ResolvedAt!.Value, e.Kind }).ToListAsync(cancellationToken);
        var escalationDays = raised.Select(e => (Day: DateOnly.FromDateTime(e.At), e.Kind, Raised: 1, Resolved: 0))
            .Concat(resolved.Select(e => (Day: DateOnly.FromDateTime(e.At), e.Kind, Raised: 0, Resolved: 1)))
            .GroupBy(e => (e.Day, e.Kind))
            .OrderBy(g => g.Key.Day).ThenBy(g => g.Key.Kind);
        series.Escalations.AddRange(escalationDays.Select(g => new EscalationDay
        {
            Day = ArrivalMapping.ToDate(g.Key.Day),
            Kind = g.Key.Kind,
            Raised = g.Sum(e => e.Raised),
            Resolved = g.Sum(e => e.Resolved),
        }));

        var firstWeek = Monday(first);
        var weekSince = firstWeek.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc);
        var unannounced = await (
            from person in db.UnannouncedPersons.AsNoTracking()
            join report in db.UnannouncedReports.AsNoTracking() on person.ReportId equals report.Id
            where report.ReportedAt >= weekSince
            select report.ReportedAt).ToListAsync(cancellationToken);
        var perWeek = unannounced.GroupBy(at => Monday(DateOnly.FromDateTime(at))).ToDictionary(g => g.Key, g => (long)g.Count());
        for (var week = firstWeek; week <= today; week = week.AddDays(7))
        {
            series.UnannouncedPersonsPerWeek.Add(new DayCount { Day = ArrivalMapping.ToDate(week), Count = perWeek.GetValueOrDefault(week) });
        }

        series.FeedLag.AddRange(await LagAsync(db, null, since, days, options, cancellationToken));
        return series;
    }

    /// <summary>A series longer than this has one lag point per day (the day's worst), read as one
    /// GROUP BY, instead of every snapshot: a year of 5-minute snapshots is 105,120 rows.</summary>
    public const int DailyLagAfterDays = 14;

    /// <summary>The lag snapshots since <paramref name="since"/>: of every municipality feed together,
    /// or of <paramref name="feed"/> alone (zero at the snapshots where it had no backlog). Every snapshot
    /// has a marker row holding the totals, so the national series reads one row per snapshot (index
    /// FeedId, TakenAt), and a feed's series its own rows beside those. Over more than
    /// <see cref="DailyLagAfterDays"/> days, each point is a day's worst.</summary>
    public static async Task<List<LagSample>> LagAsync(GatewayDbContext db, string? feed, DateTime since, int days, DashboardOptions options, CancellationToken cancellationToken)
    {
        var markers = db.FeedLagSnapshots.AsNoTracking().Where(s => s.FeedId == FeedStatusReporter.AllFeeds && s.TakenAt >= since);
        var own = db.FeedLagSnapshots.AsNoTracking().Where(s => s.FeedId == feed && s.TakenAt >= since);
        var stale = (long)options.StaleAcknowledgementAfter.TotalSeconds;
        if (days > DailyLagAfterDays)
        {
            var perDay = await markers.GroupBy(s => s.TakenAt.Date)
                .Select(g => new { Day = g.Key, Unacknowledged = g.Max(s => s.UnacknowledgedNotices), Age = g.Max(s => s.OldestUnacknowledgedAgeSeconds), Feeds = g.Max(s => s.FeedsWithBacklog), Stale = g.Max(s => s.StaleFeeds) })
                .OrderBy(d => d.Day)
                .ToListAsync(cancellationToken);
            if (feed is null)
            {
                return [.. perDay.Select(d => Sample(d.Day, d.Unacknowledged, d.Feeds, TimeSpan.FromSeconds(d.Age), d.Stale))];
            }
            var ownPerDay = await own.GroupBy(s => s.TakenAt.Date)
                .Select(g => new { Day = g.Key, Unacknowledged = g.Max(s => s.UnacknowledgedNotices), Age = g.Max(s => s.OldestUnacknowledgedAgeSeconds) })
                .ToDictionaryAsync(d => d.Day, cancellationToken);
            return [.. perDay.Select(d => ownPerDay.TryGetValue(d.Day, out var day)
                ? Sample(d.Day, day.Unacknowledged, 1, TimeSpan.FromSeconds(day.Age), day.Age > stale ? 1 : 0)
                : Sample(d.Day, 0, 0, TimeSpan.Zero, 0))];
        }
        var snapshots = await markers.OrderBy(s => s.TakenAt)
            .Select(s => new { s.TakenAt, s.UnacknowledgedNotices, s.OldestUnacknowledgedAgeSeconds, s.FeedsWithBacklog, s.StaleFeeds })
            .ToListAsync(cancellationToken);
        if (feed is null)
        {
            return Thin([.. snapshots.Select(m => Sample(m.TakenAt, m.UnacknowledgedNotices, m.FeedsWithBacklog, TimeSpan.FromSeconds(m.OldestUnacknowledgedAgeSeconds), m.StaleFeeds))]);
        }
        var rows = await own.Select(s => new { s.TakenAt, s.UnacknowledgedNotices, s.OldestUnacknowledgedAgeSeconds }).ToDictionaryAsync(s => s.TakenAt, cancellationToken);
        return Thin([.. snapshots.Select(m => rows.TryGetValue(m.TakenAt, out var row)
            ? Sample(m.TakenAt, row.UnacknowledgedNotices, 1, TimeSpan.FromSeconds(row.OldestUnacknowledgedAgeSeconds), row.OldestUnacknowledgedAgeSeconds > stale ? 1 : 0)
            : Sample(m.TakenAt, 0, 0, TimeSpan.Zero, 0))]);
    }

    private static LagSample Sample(DateTime takenAt, long unacknowledged, int feedsWithBacklog, TimeSpan oldestAge, int staleFeeds) => new()
    {
        TakenAt = ArrivalMapping.ToTimestamp(takenAt),
        UnacknowledgedNotices = unacknowledged,
        FeedsWithBacklog = feedsWithBacklog,
        OldestUnacknowledgedAge = Duration.FromTimeSpan(oldestAge),
        StaleFeeds = staleFeeds,
    };

    /// <summary>At most <see cref="MaxLagPoints"/> samples: of each run of consecutive ones, the one
    /// with the oldest backlog, so a peak is never thinned away.</summary>
    private static List<LagSample> Thin(List<LagSample> samples)
    {
        if (samples.Count <= MaxLagPoints)
        {
            return samples;
        }
        var step = (samples.Count + MaxLagPoints - 1) / MaxLagPoints;
        return [.. samples.Chunk(step).Select(run => run.MaxBy(s => s.OldestUnacknowledgedAge.ToTimeSpan())!)];
    }

    private static DateOnly Monday(DateOnly day) =>
        day.AddDays(-(((int)day.DayOfWeek + 6) % 7));
}
