using ExchangeGateway.Contracts.V1;
using ExchangeGateway.Server.Arrivals;
using ExchangeGateway.Server.Dashboard;
using Microsoft.EntityFrameworkCore;

namespace ExchangeGateway.Server.Chain;

/// <summary>Feeds' connection state from every instance's presence rows (<see cref="FeedStatusReporter"/>):
/// one GROUP BY on the rows of the feeds asked for (a few per instance and feed).</summary>
internal static class FeedPresenceQuery
{
    /// <summary>Every municipality feed.</summary>
    public const string MunicipalityFeeds = FeedNames.MunicipalityPrefix;

    /// <summary>The connection of each feed whose name starts with <paramref name="feedPrefix"/> (a
    /// whole feed name reads that feed): streams of the instances that reported within three
    /// intervals, the latest acknowledgement and connection any instance saw.</summary>
    public static async Task<Dictionary<string, FeedConnection>> RunAsync(
        GatewayDbContext db, string feedPrefix, DashboardOptions options, DateTime asOf, CancellationToken cancellationToken)
    {
        var currentSince = asOf - FeedStatusReporter.Current(options);
        var groups = await db.FeedPresence.AsNoTracking()
            .Where(p => p.FeedId.StartsWith(feedPrefix))
            .GroupBy(p => p.FeedId)
            .Select(g => new
            {
                FeedId = g.Key,
                Streams = g.Sum(p => p.ReportedAt >= currentSince ? p.OpenStreams : 0),
                LastAcknowledged = g.Max(p => p.LastAcknowledgedAt),
                LastConnected = g.Max(p => p.LastConnectedAt),
            })
            .ToListAsync(cancellationToken);
        return groups.ToDictionary(g => g.FeedId, g => new FeedConnection
        {
            OpenStreams = g.Streams,
            LastAcknowledged = ArrivalMapping.ToTimestamp(g.LastAcknowledged),
            LastConnected = ArrivalMapping.ToTimestamp(g.LastConnected),
        }, StringComparer.Ordinal);
    }
}
