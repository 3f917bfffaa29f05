using ExchangeGateway.Server.Feed;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;

namespace ExchangeGateway.Server.Retention;

/// <summary>Storing a redacted notice (see <see cref="NoticeRedaction"/>) and telling the feed engines,
/// here and on the other instances, so none of them sends what was erased from a copy it holds.</summary>
internal static class RedactedNotices
{
    /// <summary>Stores the redacted body; the audit subjects stored with the notice go with it.</summary>
    public static Task<int> StoreAsync(WriteContext write, string feed, long sequence, byte[] redacted) =>
        write.Db.Notices.Where(n => n.FeedId == feed && n.Sequence == sequence)
            .ExecuteUpdateAsync(s => s.SetProperty(n => n.Body, redacted).SetProperty(n => n.AuditSubjects, ""), write.CancellationToken);

    /// <summary>Inside the erasing transaction: the instances that deliver these feeds must drop what
    /// they cached (their revision is raised; on PostgreSQL they are told which notices).</summary>
    public static async Task SignalAsync(WriteContext write, IReadOnlyCollection<(string Feed, long Sequence)> notices)
    {
        if (notices.Count == 0)
        {
            return;
        }
        var connection = write.Db.Database.GetDbConnection();
        var transaction = write.Db.Database.CurrentTransaction!.GetDbTransaction();
        var byFeed = notices.GroupBy(n => n.Feed, StringComparer.Ordinal).ToList();
        await write.Statements.RaiseRevisionAsync(connection, transaction, [.. byFeed.Select(g => g.Key)], write.CancellationToken);
        await write.Statements.SignalAsync(connection, transaction,
            [.. byFeed.SelectMany(g => FeedSignal.About(FeedSignalKind.Redacted, g.Key, g.Select(n => n.Sequence)))], write.CancellationToken);
    }

    /// <summary>After the commit: this instance's engines redact what they hold.</summary>
    public static void Redacted(FeedHub feeds, IReadOnlyCollection<(string Feed, long Sequence)> notices)
    {
        foreach (var feed in notices.GroupBy(n => n.Feed, StringComparer.Ordinal))
        {
            feeds.Redacted(feed.Key, [.. feed.Select(n => n.Sequence)]);
        }
    }
}
