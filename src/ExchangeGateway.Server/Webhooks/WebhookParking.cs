using ExchangeGateway.Contracts.V1;
using ExchangeGateway.Server.Deadlines;
using Microsoft.EntityFrameworkCore;

namespace ExchangeGateway.Server.Webhooks;

/// <summary>Notices a webhook receiver refused, kept in the database: a parked notice stays
/// unacknowledged (so later notices about its arrival stay held back, and the acknowledgement deadline
/// still runs) and is not posted again until an operator releases it. The first notice parked on a
/// subscription raises one escalation to chain coordination; more parked beside it raise none.</summary>
internal sealed class WebhookParking(GatewayStore store)
{
    /// <summary>The feed's parked notices that are still unacknowledged.</summary>
    public Task<List<long>> ParkedAsync(string feed, CancellationToken cancellationToken) =>
        store.ReadAsync((db, token) => db.Notices.AsNoTracking()
            .Where(n => n.FeedId == feed && n.ParkedAt != null && n.AcknowledgedAt == null)
            .Select(n => n.Sequence).ToListAsync(token), cancellationToken);

    /// <summary>What is stored of one notice now (its body redacted if retention erased it), or null.</summary>
    public Task<StoredState?> ReadAsync(string feed, long sequence, CancellationToken cancellationToken) =>
        store.ReadAsync((db, token) => db.Notices.AsNoTracking()
            .Where(n => n.FeedId == feed && n.Sequence == sequence)
            .Select(n => new StoredState(n.Body, n.AcknowledgedAt != null, n.ParkedAt != null))
            .FirstOrDefaultAsync(token), cancellationToken);

    /// <summary>Parks the notice; returns whether it raised the subscription's escalation.</summary>
    public Task<bool> ParkAsync(Caller gateway, WebhookEndpoint endpoint, string organisationId, long sequence, string reason, CancellationToken cancellationToken) =>
        store.WriteAsync(gateway, async write =>
        {
            var feed = endpoint.Feed;
            var alreadyParked = await write.Db.Notices.AnyAsync(n => n.FeedId == feed && n.ParkedAt != null && n.AcknowledgedAt == null, write.CancellationToken);
            var parked = await write.Db.Notices
                .Where(n => n.FeedId == feed && n.Sequence == sequence && n.AcknowledgedAt == null && n.ParkedAt == null)
                .ExecuteUpdateAsync(s => s.SetProperty(n => n.ParkedAt, write.Now).SetProperty(n => n.ParkedReason, reason), write.CancellationToken);
            if (parked == 0 || alreadyParked)
            {
                return false;
            }
            var subject = await write.Db.Notices.Where(n => n.FeedId == feed && n.Sequence == sequence).Select(n => n.Subject).FirstAsync(write.CancellationToken);
            var arrival = await write.Db.Arrivals.FirstOrDefaultAsync(a => a.Id == subject, write.CancellationToken);
            if (arrival is null)
            {
                return false; // an unannounced-arrival report: no arrival to escalate on; `exgw webhooks` shows it
            }
            Escalations.Raise(write, arrival, EscalationKind.WebhookRefused,
                $"The webhook of {organisationId} for feed {feed} refused notice #{sequence} ({reason}). It is parked; later notices about this arrival are held back until the receiver is fixed and the notices are retried (exgw webhooks retry {feed}).",
                refused =>
                {
                    refused.OverdueFeed = feed;
                    refused.OverdueSequence = (ulong)sequence;
                });
            return true;
        }, cancellationToken);

    /// <summary>Releases the feed's parked notices (the operator's retry); returns their sequences.</summary>
    public static async Task<List<long>> ReleaseAsync(WriteContext write, string feed)
    {
        var sequences = await write.Db.Notices
            .Where(n => n.FeedId == feed && n.ParkedAt != null && n.AcknowledgedAt == null)
            .OrderBy(n => n.Sequence).Select(n => n.Sequence).ToListAsync(write.CancellationToken);
        if (sequences.Count > 0)
        {
            await write.Db.Notices.Where(n => n.FeedId == feed && n.ParkedAt != null)
                .ExecuteUpdateAsync(s => s.SetProperty(n => n.ParkedAt, (DateTime?)null).SetProperty(n => n.ParkedReason, (string?)null), write.CancellationToken);
        }
        return sequences;
    }
}

/// <summary>One stored notice as a retry sees it.</summary>
internal sealed record StoredState(byte[] Body, bool Acknowledged, bool Parked);
