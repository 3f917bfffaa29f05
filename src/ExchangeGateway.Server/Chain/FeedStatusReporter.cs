using ExchangeGateway.Server.Dashboard;
using ExchangeGateway.Server.Feed;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ExchangeGateway.Server.Chain;

/// <summary>What the overview knows of feeds beyond their notices. Every <c>PresenceInterval</c> this
/// instance writes, per feed it has an engine for, the streams it holds open and when a subscriber
/// last acknowledged through it (<see cref="FeedPresenceEntity"/>): one row per instance and feed, so
/// with several instances the overview combines them through the database. Every
/// <c>LagSnapshotInterval</c> it stores each municipality feed's backlog (<see cref="FeedLagSnapshotEntity"/>),
/// the history the lag chart draws; the snapshot time is the interval's boundary, so instances taking
/// the same snapshot collide on its key and one copy stays. Work off the write path: nothing here
/// touches a notice or an acknowledgement as it happens.</summary>
internal sealed partial class FeedStatusReporter(
    GatewayStore store, FeedHub hub, TimeProvider time, IOptions<GatewayOptions> options, ILogger<FeedStatusReporter> logger) : BackgroundService
{
    /// <summary>The snapshot row that stands for all feeds at once: it marks the snapshot as taken,
    /// backlog or not, so a feed without a row of its own had nothing waiting.</summary>
    public const string AllFeeds = "*";

    /// <summary>Presence rows not renewed for this long are of instances long gone.</summary>
    private static readonly TimeSpan PresenceKept = TimeSpan.FromDays(30);

    private readonly DashboardOptions _options = options.Value.Dashboard;
    private readonly string _instance = Guid.NewGuid().ToString();

    /// <summary>How long a presence report counts as current: three intervals.</summary>
    public static TimeSpan Current(DashboardOptions options) => options.PresenceInterval * 3;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        DateTime? lastSnapshot = null;
        try
        {
            while (true)
            {
                try
                {
                    await ReportPresenceAsync(stoppingToken);
                    var boundary = Boundary(time.GetUtcNow().UtcDateTime, _options.LagSnapshotInterval);
                    if (lastSnapshot != boundary)
                    {
                        await TakeSnapshotAsync(boundary, stoppingToken);
                        lastSnapshot = boundary;
                    }
                }
                catch (Exception exception) when (exception is not OperationCanceledException)
                {
                    // The next round tries again; the overview shows the last report meanwhile.
                    LogFailed(logger, exception.GetType().Name);
                }
                // A delay per round, not a PeriodicTimer: a clock moved on by days reports once.
                await Task.Delay(_options.PresenceInterval, time, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        try
        {
            // Streams end with this instance: say so now rather than three intervals from now.
            await store.ReadAsync(async (db, token) => await db.FeedPresence
                .Where(p => p.InstanceId == _instance)
                .ExecuteUpdateAsync(set => set.SetProperty(p => p.OpenStreams, 0), token), cancellationToken);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            LogFailed(logger, exception.GetType().Name);
        }
    }

    /// <summary>Writes this instance's row per feed it has an engine for.</summary>
    public Task ReportPresenceAsync(CancellationToken cancellationToken) => store.ReadAsync(async (db, token) =>
    {
        var now = time.GetUtcNow().UtcDateTime;
        var rows = await db.FeedPresence.Where(p => p.InstanceId == _instance).ToDictionaryAsync(p => p.FeedId, StringComparer.Ordinal, token);
        foreach (var engine in hub.Engines)
        {
            if (!rows.TryGetValue(engine.Feed, out var row))
            {
                row = new FeedPresenceEntity { InstanceId = _instance, FeedId = engine.Feed };
                db.FeedPresence.Add(row);
            }
            var streams = engine.StreamCount;
            row.OpenStreams = streams;
            row.LastAcknowledgedAt = engine.LastAcknowledgedAt ?? row.LastAcknowledgedAt;
            row.LastConnectedAt = streams > 0 ? now : row.LastConnectedAt;
            row.ReportedAt = now;
        }
        await db.SaveChangesAsync(token);
        await db.FeedPresence.Where(p => p.ReportedAt < now - PresenceKept).ExecuteDeleteAsync(token);
        return 0;
    }, cancellationToken);

    private static long AgeSeconds(DateTime takenAt, DateTime oldest) => Math.Max(0, (long)(takenAt - oldest).TotalSeconds);

    /// <summary>Stores every municipality feed's backlog at <paramref name="takenAt"/>, unless an
    /// instance already did.</summary>
    public Task TakeSnapshotAsync(DateTime takenAt, CancellationToken cancellationToken) => store.ReadAsync(async (db, token) =>
    {
        if (await db.FeedLagSnapshots.AnyAsync(s => s.TakenAt == takenAt && s.FeedId == AllFeeds, token))
        {
            return 0;
        }
        var backlog = await db.Notices.AsNoTracking()
            .Where(n => n.AcknowledgedAt == null && n.FeedId.StartsWith(FeedNames.MunicipalityPrefix))
            .GroupBy(n => n.FeedId)
            .Select(g => new { FeedId = g.Key, Count = g.LongCount(), Oldest = g.Min(n => n.CreatedAt) })
            .ToListAsync(token);
        db.FeedLagSnapshots.Add(new FeedLagSnapshotEntity
        {
            TakenAt = takenAt,
            FeedId = AllFeeds,
            UnacknowledgedNotices = backlog.Sum(b => b.Count),
            OldestUnacknowledgedAt = backlog.Count == 0 ? takenAt : backlog.Min(b => b.Oldest),
            OldestUnacknowledgedAgeSeconds = backlog.Count == 0 ? 0 : AgeSeconds(takenAt, backlog.Min(b => b.Oldest)),
            FeedsWithBacklog = backlog.Count,
            StaleFeeds = backlog.Count(b => takenAt - b.Oldest > _options.StaleAcknowledgementAfter),
        });
        db.FeedLagSnapshots.AddRange(backlog.Select(b => new FeedLagSnapshotEntity
        {
            TakenAt = takenAt,
            FeedId = b.FeedId,
            UnacknowledgedNotices = b.Count,
            OldestUnacknowledgedAt = b.Oldest,
            OldestUnacknowledgedAgeSeconds = AgeSeconds(takenAt, b.Oldest),
        }));
        try
        {
            await db.SaveChangesAsync(token);
        }
        catch (DbUpdateException)
        {
            db.ChangeTracker.Clear();
            if (await db.FeedLagSnapshots.AsNoTracking().AnyAsync(s => s.TakenAt == takenAt && s.FeedId == AllFeeds, token))
            {
                return 0; // another instance took the same snapshot first
            }
            throw;
        }
        var expired = takenAt - _options.LagSnapshotRetention;
        await db.FeedLagSnapshots.Where(s => s.TakenAt < expired).ExecuteDeleteAsync(token);
        return 0;
    }, cancellationToken);

    /// <summary>The start of the interval <paramref name="now"/> is in (intervals counted from 0001-01-01).</summary>
    public static DateTime Boundary(DateTime now, TimeSpan interval) =>
        new(now.Ticks - (now.Ticks % interval.Ticks), DateTimeKind.Utc);

    [LoggerMessage(EventId = 2001, Level = LogLevel.Warning, Message = "Reporting feed presence or storing a lag snapshot failed ({ExceptionType}); the next round tries again.")]
    private static partial void LogFailed(ILogger logger, string exceptionType);
}
