using Microsoft.EntityFrameworkCore;

namespace ExchangeGateway.Server.Dashboard;

/// <summary>What tells an open page that its figures changed, without reading them: a notice added to
/// any feed (every announcement, registration, escalation and resolution adds one), a feed's notices
/// changed otherwise, a stream opened or closed or an acknowledgement reported by any instance. Three
/// aggregates over small tables (a row per feed, per instance and feed), read by every instance from
/// the database, so a page on one instance sees what happened on another. The page then reads the
/// figures again through the API, as an audited call like any other.</summary>
internal static class DashboardChanges
{
    public static async Task<string> TokenAsync(GatewayDbContext db, CancellationToken cancellationToken)
    {
        var feeds = await db.Feeds.AsNoTracking()
            .GroupBy(_ => 1)
            .Select(g => new { Head = g.Sum(f => f.HeadSequence), Revision = g.Sum(f => f.Revision) })
            .FirstOrDefaultAsync(cancellationToken);
        var presence = await db.FeedPresence.AsNoTracking()
            .GroupBy(_ => 1)
            .Select(g => new { Streams = g.Sum(p => p.OpenStreams), Acknowledged = g.Max(p => p.LastAcknowledgedAt) })
            .FirstOrDefaultAsync(cancellationToken);
        return FormattableString.Invariant($"{feeds?.Head}.{feeds?.Revision}.{presence?.Streams}.{presence?.Acknowledged?.Ticks}");
    }
}
