using ExchangeGateway.Server.Feed;
using Microsoft.EntityFrameworkCore;

namespace ExchangeGateway.Server.Retention;

/// <summary>Removes the V-numbers of unannounced-arrival reports older than the retention cutoff. The
/// report's municipality, dates, note (free of personal data by contract), number of persons and what
/// the gateway matched stay: that is what the chain's statistics of unannounced arrivals count. An
/// erased person has an empty V-number; every step is idempotent, so several instances may sweep at
/// once.</summary>
internal sealed class UnannouncedReportErasure(GatewayStore store, FeedHub feeds, Caller gateway)
{
    public async Task<BatchOutcome> EraseBatchAsync(DateTime cutoff, int batchSize, CancellationToken cancellationToken)
    {
        var ids = await store.ReadAsync((db, token) => db.UnannouncedReports.AsNoTracking()
            .Where(r => r.ReportedAt < cutoff && r.Persons.Any(p => p.VNumber != ""))
            .OrderBy(r => r.Id)
            .Take(batchSize)
            .Select(r => r.Id)
            .ToListAsync(token), cancellationToken);
        if (ids.Count == 0)
        {
            return new BatchOutcome(0, 0, 0);
        }
        // A report's notices have the report's id as their subject.
        var notices = await store.ReadAsync((db, token) => db.Notices.AsNoTracking()
            .Where(n => ids.Contains(n.Subject))
            .Select(n => new { n.FeedId, n.Sequence, n.Body, Unacknowledged = n.AcknowledgedAt == null })
            .ToListAsync(token), cancellationToken);
        var redacted = notices.Select(n => (n.FeedId, n.Sequence, Body: NoticeRedaction.Redact(n.Body), n.Unacknowledged)).ToList();

        var outcome = await store.WriteAsync(gateway, async write =>
        {
            await write.Db.UnannouncedPersons.Where(p => ids.Contains(p.ReportId) && p.VNumber != "")
                .ExecuteUpdateAsync(s => s.SetProperty(p => p.VNumber, ""), write.CancellationToken);
            foreach (var notice in redacted)
            {
                await RedactedNotices.StoreAsync(write, notice.FeedId, notice.Sequence, notice.Body);
            }
            await RedactedNotices.SignalAsync(write, [.. redacted.Select(n => (n.FeedId, n.Sequence))]);
            return new BatchOutcome(ids.Count, ids.Count, redacted.Count(n => n.Unacknowledged));
        }, cancellationToken);
        RedactedNotices.Redacted(feeds, [.. redacted.Select(n => (n.FeedId, n.Sequence))]);
        return outcome;
    }
}
