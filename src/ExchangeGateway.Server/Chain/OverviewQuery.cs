using ExchangeGateway.Contracts.V1;
using ExchangeGateway.Server.Arrivals;
using ExchangeGateway.Server.Dashboard;
using ExchangeGateway.Server.Rules;
using Google.Protobuf.WellKnownTypes;
using Microsoft.EntityFrameworkCore;

namespace ExchangeGateway.Server.Chain;

/// <summary>The national picture as counts: GROUP BY queries (arrivals by municipality and state on
/// their index, open escalations, unannounced persons all told and within the attention window,
/// unacknowledged municipality notices on the filtered index, feed presence per feed), so the cost
/// follows the number of groups read back, not the rows sent over. The queries run one after another
/// without a shared snapshot; a change committed between them can show in one figure and not yet in
/// another, which a dashboard can live with.</summary>
internal static class OverviewQuery
{
    /// <summary>Municipality feeds are named "municipality:&lt;code&gt;" (<see cref="FeedNames.Municipality"/>).</summary>
    private static readonly string MunicipalityFeedPrefix = FeedNames.Municipality("");

    /// <summary>Reads every municipality's figures; the scope's municipality code, when given, keeps
    /// only that one in the list (with zeros when it has nothing), while the national totals stay
    /// national, so the one can be read against the other.</summary>
    public static async Task<GetOverviewResponse> RunAsync(
        GatewayDbContext db, MunicipalityTable table, OverviewScope scope, DashboardOptions options, DateTime asOf, CancellationToken cancellationToken)
    {
        var rows = new OverviewRows(table);
        var municipalityCode = scope.MunicipalityCode;
        if (municipalityCode is not null)
        {
            rows.For(municipalityCode);
        }
        if (scope.EveryMunicipality)
        {
            foreach (var municipality in table.OpenOn(DateOnly.FromDateTime(asOf)))
            {
                rows.For(municipality.Code);
            }
        }

        var arrivals = await db.Arrivals.AsNoTracking()
            .GroupBy(a => new { a.MunicipalityCode, a.State })
            .Select(g => new { g.Key.MunicipalityCode, g.Key.State, Count = g.LongCount() })
            .ToListAsync(cancellationToken);
        foreach (var group in arrivals)
        {
            rows.For(group.MunicipalityCode).ArrivalsByState.Add(new StateCount { State = group.State, Count = group.Count });
        }

        var escalations = await (
            from escalation in db.Escalations.AsNoTracking()
            where escalation.ResolvedAt == null
            join arrival in db.Arrivals.AsNoTracking() on escalation.ArrivalId equals arrival.Id
            group escalation by new { arrival.MunicipalityCode, escalation.Kind } into g
            select new { g.Key.MunicipalityCode, g.Key.Kind, Count = g.LongCount() })
            .ToListAsync(cancellationToken);
        foreach (var group in escalations)
        {
            rows.For(group.MunicipalityCode).OpenEscalations.Add(new EscalationCount { Kind = group.Kind, Count = group.Count });
        }

        var unannounced = await (
            from person in db.UnannouncedPersons.AsNoTracking()
            join report in db.UnannouncedReports.AsNoTracking() on person.ReportId equals report.Id
            group person by new { report.MunicipalityCode, person.Match } into g
            select new { g.Key.MunicipalityCode, g.Key.Match, Count = g.LongCount() })
            .ToListAsync(cancellationToken);
        foreach (var group in unannounced)
        {
            rows.For(group.MunicipalityCode).Unannounced.Add(new UnannouncedCount { Match = group.Match, Count = group.Count });
        }

        var backlog = await db.Notices.AsNoTracking()
            .Where(n => n.AcknowledgedAt == null && n.FeedId.StartsWith(MunicipalityFeedPrefix))
            .GroupBy(n => n.FeedId)
            .Select(g => new { FeedId = g.Key, Count = g.LongCount(), Oldest = g.Min(n => n.CreatedAt) })
            .ToListAsync(cancellationToken);
        foreach (var feed in backlog)
        {
            var row = rows.For(feed.FeedId[MunicipalityFeedPrefix.Length..]);
            row.UnacknowledgedNotices = feed.Count;
            row.OldestUnacknowledgedNotice = ArrivalMapping.ToTimestamp(feed.Oldest);
        }

        var unannouncedSince = asOf - options.UnannouncedAttentionWindow;
        var recentlyUnannounced = (await (
            from person in db.UnannouncedPersons.AsNoTracking()
            join report in db.UnannouncedReports.AsNoTracking() on person.ReportId equals report.Id
            where report.ReportedAt >= unannouncedSince
            group person by report.MunicipalityCode into g
            select g.Key).ToListAsync(cancellationToken)).ToHashSet(StringComparer.Ordinal);

        var presence = await FeedPresenceQuery.RunAsync(db, FeedPresenceQuery.MunicipalityFeeds, options, asOf, cancellationToken);
        foreach (var row in rows.All)
        {
            row.Feed = presence.GetValueOrDefault(FeedNames.Municipality(row.MunicipalityCode)) ?? new FeedConnection();
        }
        var national = rows.National();
        rows.MarkAttention(asOf - options.StaleAcknowledgementAfter, recentlyUnannounced);

        var response = new GetOverviewResponse
        {
            National = national,
            AsOf = ArrivalMapping.ToTimestamp(asOf),
            StaleAcknowledgementAfter = Duration.FromTimeSpan(options.StaleAcknowledgementAfter),
        };
        if (scope.SeriesDays > 0)
        {
            response.Series = await OverviewSeriesQuery.RunAsync(db, scope.SeriesDays, options, asOf, cancellationToken);
        }
        response.Municipalities.AddRange(rows.Sorted().Where(m => municipalityCode is null || m.MunicipalityCode == municipalityCode));
        return response;
    }
}

/// <summary>What an overview covers: one municipality or all (with or without those that have
/// nothing to report), and how many days of series.</summary>
internal sealed record OverviewScope(string? MunicipalityCode, bool EveryMunicipality, int SeriesDays);
