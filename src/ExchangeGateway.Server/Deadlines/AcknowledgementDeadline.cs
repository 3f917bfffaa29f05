using System.Globalization;
using ExchangeGateway.Contracts.V1;
using ExchangeGateway.Server.Feed;
using ExchangeGateway.Server.Hosting;
using ExchangeGateway.Server.Identity;
using ExchangeGateway.Server.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace ExchangeGateway.Server.Deadlines;

/// <summary>The acknowledgement deadline: a notice that stays unacknowledged too long is escalated,
/// once. A municipality's silence goes to COA and chain coordination (COA must not send people to a
/// municipality that has not taken the announcement in); silence of COA or the IND goes to chain
/// coordination. Escalation notices, and notices to chain coordination, never escalate again.</summary>
internal sealed class AcknowledgementDeadline(GatewayStore store, IOptions<GatewayOptions> options)
{
    private const int BatchSize = 200;

    private readonly Caller _gateway = Caller.Gateway(options.Value.GatewayOin);

    /// <summary>Escalates every notice past its deadline; returns how many.</summary>
    public async Task<int> SweepAsync(CancellationToken cancellationToken)
    {
        var total = 0;
        while (true)
        {
            var raised = await store.WriteAsync(_gateway, EscalateBatchAsync, cancellationToken);
            total += raised;
            if (raised < BatchSize)
            {
                return total;
            }
        }
    }

    private async Task<int> EscalateBatchAsync(WriteContext write)
    {
        var deadline = options.Value.AcknowledgementDeadline;
        var cutoff = write.Now - deadline;
        var due = await write.Db.Notices.AsNoTracking()
            .Where(n => n.AcknowledgedAt == null && n.EscalatedAt == null && n.CreatedAt <= cutoff
                && n.Type != NoticeTypes.Escalation && n.Type != NoticeTypes.EscalationResolved && n.FeedId != FeedNames.Chain)
            .OrderBy(n => n.CreatedAt)
            .Take(BatchSize)
            .Select(n => new { n.FeedId, n.Sequence, n.Type, n.Subject, n.CreatedAt })
            .ToListAsync(write.CancellationToken);
        var raised = 0;
        foreach (var notice in due)
        {
            // Claim the notice: with several gateway instances on one database only the instance
            // whose update changes the row raises the escalation.
            var claimed = await write.Db.Notices
                .Where(n => n.FeedId == notice.FeedId && n.Sequence == notice.Sequence && n.EscalatedAt == null)
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
    }
}
