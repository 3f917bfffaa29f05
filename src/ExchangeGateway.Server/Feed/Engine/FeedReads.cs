using Microsoft.EntityFrameworkCore;
using Polly;

namespace ExchangeGateway.Server.Feed.Engine;

/// <summary>The database reads of the feed engines: the region of a feed (its unacknowledged notices
/// after a point), a replay range, and the unacknowledged notices again after another instance changed
/// some. Counted, so a test can show that live delivery reads nothing.</summary>
internal sealed class FeedReads(GatewayDbContextFactory contexts)
{
    private readonly ResiliencePipeline _retry = StorageResilience.CreatePipeline();
    private long _count;

    /// <summary>Reads made so far.</summary>
    public long Count => Interlocked.Read(ref _count);

    /// <summary>The feed's head, then its unacknowledged notices after <paramref name="after"/> up to that
    /// head, in order, at most <paramref name="limit"/>. Head first: every sequence up to it is committed
    /// (sequences of a feed commit in order), so the rows are complete up to the head or the limit.</summary>
    public Task<(List<StoredNotice> Rows, long Head)> RegionAsync(string feed, long after, int limit, CancellationToken cancellationToken) =>
        ReadAsync(async (db, token) =>
        {
            var head = await db.Feeds.AsNoTracking().Where(f => f.Id == feed).Select(f => f.HeadSequence).FirstOrDefaultAsync(token);
            var rows = await db.Notices.AsNoTracking()
                .Where(n => n.FeedId == feed && n.AcknowledgedAt == null && n.Sequence > after && n.Sequence <= head)
                .OrderBy(n => n.Sequence)
                .Take(limit)
                .Select(n => new StoredNotice(n.Sequence, n.Subject, n.Body))
                .ToListAsync(token);
            return (rows, head);
        }, cancellationToken);

    /// <summary>The feed's head (0 for a feed without notices).</summary>
    public Task<long> HeadAsync(string feed, CancellationToken cancellationToken) =>
        ReadAsync((db, token) => db.Feeds.AsNoTracking().Where(f => f.Id == feed).Select(f => f.HeadSequence).FirstOrDefaultAsync(token), cancellationToken);

    /// <summary>Every notice of the feed from <paramref name="from"/> to <paramref name="to"/>, acknowledged or not.</summary>
    public Task<List<StoredNotice>> RangeAsync(string feed, long from, long to, CancellationToken cancellationToken) =>
        ReadAsync((db, token) => db.Notices.AsNoTracking()
            .Where(n => n.FeedId == feed && n.Sequence >= from && n.Sequence <= to)
            .OrderBy(n => n.Sequence)
            .Select(n => new StoredNotice(n.Sequence, n.Subject, n.Body))
            .ToListAsync(token), cancellationToken);

    /// <summary>The unacknowledged notices of the feed up to <paramref name="through"/>.</summary>
    public Task<List<StoredNotice>> UnacknowledgedThroughAsync(string feed, long through, CancellationToken cancellationToken) =>
        ReadAsync((db, token) => db.Notices.AsNoTracking()
            .Where(n => n.FeedId == feed && n.AcknowledgedAt == null && n.Sequence <= through)
            .OrderBy(n => n.Sequence)
            .Select(n => new StoredNotice(n.Sequence, n.Subject, n.Body))
            .ToListAsync(token), cancellationToken);

    private async Task<T> ReadAsync<T>(Func<GatewayDbContext, CancellationToken, Task<T>> read, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _count);
        return await _retry.ExecuteAsync(async token =>
        {
            await using var db = contexts.CreateDbContext();
            return await read(db, token);
        }, cancellationToken);
    }
}
