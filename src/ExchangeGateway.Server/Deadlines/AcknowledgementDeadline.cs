using System.Globalization;
using ExchangeGateway.Contracts.V1;
using ExchangeGateway.Server.Feed;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace ExchangeGateway.Server.Deadlines;

/// <summary>The acknowledgement deadline: a notice that stays unacknowledged too long is escalated,
/// once. A municipality's silence goes to COA and chain coordination (COA must not send people to a
/// municipality that has not taken the announcement in); silence of COA or the IND goes to chain
/// coordination. Escalation notices, and notices to chain coordination, never escalate again.</summary>
internal sealed class AcknowledgementDeadline(GatewayStore store, TimeProvider time, IOptions<GatewayOptions> options)
{
    private const int BatchSize = 200;

    private readonly Caller _gateway = Caller.Gateway(options.Value.GatewayOin);

    /// <summary>Escalates every notice past its deadline; returns how many.</summary>
    public async Task<int> SweepAsync(CancellationToken cancellationToken)
    {
        var total = 0;
        while (true)
        {
            var due = await FindDueAsync(cancellationToken);
            total += await EscalateAsync(due, cancellationToken);
            if (due.Count < BatchSize)
            {
                return total;
            }
        }
    }

    /// <summary>The oldest notices past their deadline, at most a batch. A read outside the write: the
    /// single writer only claims and escalates.</summary>
    public Task<IReadOnlyList<DueNotice>> FindDueAsync(CancellationToken cancellationToken)
    {
        var cutoff = time.GetUtcNow().UtcDateTime - options.Value.AcknowledgementDeadline;
        return store.ReadAsync<IReadOnlyList<DueNotice>>(async (db, token) => await db.Notices.AsNoTracking()
            .Where(n => n.AcknowledgedAt == null && n.EscalatedAt == null && n.CreatedAt <= cutoff
                && n.Type != NoticeTypes.Escalation && n.Type != NoticeTypes.EscalationResolved && n.FeedId != FeedNames.Chain)
            .OrderBy(n => n.CreatedAt)
            .Take(BatchSize)
            .Select(n => new DueNotice(n.FeedId, n.Sequence, n.Type, n.Subject, n.CreatedAt))
            .ToListAsync(token), cancellationToken);
    }

    /// <summary>Claims and escalates <paramref name="due"/>; returns how many this call escalated.</summary>
    public Task<int> EscalateAsync(IReadOnlyList<DueNotice> due, CancellationToken cancellationToken) =>
        due.Count == 0 ? Task.FromResult(0) : store.WriteAsync(_gateway, async write =>
        {
            var deadline = options.Value.AcknowledgementDeadline;
            var raised = 0;
            foreach (var notice in due)
            {
                // Claim the notice: with several gateway instances on one database only the instance
                // whose update changes the row raises the escalation, and only while the notice is still
                // unacknowledged (it may have been acknowledged, on any instance, since it was found).
                var claimed = await write.Db.Notices
                    .Where(n => n.FeedId == notice.FeedId && n.Sequence == notice.Sequence && n.EscalatedAt == null && n.AcknowledgedAt == null)
                    .ExecuteUpdateAsync(s => s.SetProperty(n => n.EscalatedAt, write.Now), write.CancellationToken);
                if (claimed == 0)
                {
                    continue;
                }
                raised++;
                var arrival = await write.Db.Arrivals.FirstOrDefaultAsync(a => a.Id == notice.Subject, write.CancellationToken);
                if (arrival is null)
                {
                    continue;
                }
                var recipient = notice.FeedId.StartsWith("municipality:", StringComparison.Ordinal)
                    ? "municipality " + notice.FeedId["municipality:".Length..]
                    : notice.FeedId.ToUpperInvariant();
                var description = string.Create(CultureInfo.InvariantCulture,
                    $"Notice {notice.Type} #{notice.Sequence} to {recipient} is not acknowledged {deadline.TotalHours:0.##} hours after it was sent ({notice.CreatedAt:yyyy-MM-dd HH:mm} UTC).");
                Escalations.Raise(write, arrival, EscalationKind.AcknowledgementOverdue, description, overdue =>
                {
                    overdue.OverdueFeed = notice.FeedId;
                    overdue.OverdueSequence = (ulong)notice.Sequence;
                    overdue.OverdueType = notice.Type;
                }, notice.FeedId);
            }
            return raised;
        }, cancellationToken);
}

/// <summary>A notice the deadline sweep found overdue (not yet claimed).</summary>
internal sealed record DueNotice(string FeedId, long Sequence, string Type, string Subject, DateTime CreatedAt);
