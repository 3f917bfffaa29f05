using System.Globalization;
using System.Linq.Expressions;
using ExchangeGateway.Contracts.V1;
using ExchangeGateway.Server.Arrivals;
using ExchangeGateway.Server.Feed;
using Microsoft.EntityFrameworkCore;

namespace ExchangeGateway.Server.Retention;

/// <summary>Removes the personal data of closed arrivals whose last activity is older than the
/// retention cutoff, one batch per transaction, and keeps what the audit and the statistics need: the
/// arrival's id, municipality, kind, state, dates and version, the number of travellers with their
/// registration status and dates, the history and the escalations (their descriptions and resolution
/// notes never hold personal data, by contract). Free text that the contract does not declare free of
/// personal data goes: the case reference, the cancellation reason, the consent and registration
/// refusal reasons.
///
/// Several instances may sweep at once: each arrival is claimed by a conditional update that re-checks
/// the whole rule, so one instance erases it and the others skip it, and every step is idempotent.</summary>
internal sealed class ArrivalErasure(GatewayStore store, FeedHub feeds, Caller gateway)
{
    /// <summary>Travellers stay as rows (their count, registration status and whether they got a BSN
    /// are statistics) but their V-number is part of the key; it becomes this prefix and the traveller's
    /// position, which no valid V-number (ten digits) can equal.</summary>
    public const string ErasedVNumberPrefix = "#";

    public const string HistoryAction = "personal-data-erased";

    /// <summary>Closed for good: nothing more is expected of these arrivals.</summary>
    private static readonly ArrivalState[] Closed = ArrivalLifecycle.Closed;

    /// <summary>The retention rule. An arrival's retention runs from its last activity: its newest
    /// history entry, and for safety any time it records itself. Every change to an arrival adds history
    /// (an escalation or a late check-in on a closed arrival too), so an arrival someone is still
    /// working on is never erased under them; the arrival's own times guard against a change that
    /// forgot its history entry.</summary>
    public static Expression<Func<ArrivalEntity, bool>> DueForErasure(DateTime cutoff) => a =>
        a.PersonalDataErasedAt == null
        && Closed.Contains(a.State)
        && a.AnnouncedAt < cutoff
        && (a.CancelledAt == null || a.CancelledAt < cutoff)
        && (a.ConsentDecidedAt == null || a.ConsentDecidedAt < cutoff)
        && (a.ArrivedAt == null || a.ArrivedAt < cutoff)
        && !a.History.Any(h => h.At >= cutoff)
        && !a.Travellers.Any(t => t.BsnAssignedAt >= cutoff || t.CheckedInAt >= cutoff);

    /// <summary>Erases at most <paramref name="batchSize"/> arrivals due before <paramref name="cutoff"/>.</summary>
    public async Task<BatchOutcome> EraseBatchAsync(DateTime cutoff, int batchSize, TimeSpan retention, CancellationToken cancellationToken)
    {
        // The reads run outside the write transaction: finding the notices scans the notice table
        // (it has no index on subject), and on SQLite other writers would wait for that.
        var candidates = await store.ReadAsync((db, token) => db.Arrivals.AsNoTracking()
            .Where(DueForErasure(cutoff))
            .OrderBy(a => a.Id)
            .Take(batchSize)
            .Select(a => new Candidate(a.Id, a.Kind, a.MunicipalityCode, a.ExpectedArrivalDate))
            .ToListAsync(token), cancellationToken);
        if (candidates.Count == 0)
        {
            return new BatchOutcome(0, 0, 0);
        }
        var ids = candidates.Select(c => c.Id).ToList();
        var notices = await store.ReadAsync((db, token) => db.Notices.AsNoTracking()
            .Where(n => ids.Contains(n.Subject))
            .Select(n => new StoredNotice(n.FeedId, n.Sequence, n.Subject, n.Body, n.AcknowledgedAt == null))
            .ToListAsync(token), cancellationToken);
        var redacted = notices.ToLookup(n => n.Subject, n => n with { Body = NoticeRedaction.Redact(n.Body) });
        var description = string.Create(CultureInfo.InvariantCulture,
            $"Personal data removed: the arrival closed more than {retention.TotalDays:0.##} days ago (retention).");

        var redactedNotices = new List<(string Feed, long Sequence)>();
        var outcome = await store.WriteAsync(gateway, async write =>
        {
            redactedNotices.Clear();
            var erased = 0;
            var unacknowledged = 0;
            foreach (var candidate in candidates)
            {
                if (!await ClaimAsync(write, candidate, cutoff))
                {
                    continue; // became active again, or another instance erased it
                }
                await EraseTravellersAsync(write, candidate.Id);
                foreach (var notice in redacted[candidate.Id])
                {
                    await RedactedNotices.StoreAsync(write, notice.FeedId, notice.Sequence, notice.Body);
                    redactedNotices.Add((notice.FeedId, notice.Sequence));
                    unacknowledged += notice.Unacknowledged ? 1 : 0;
                }
                write.Db.ArrivalHistory.Add(new ArrivalHistoryEntity
                {
                    ArrivalId = candidate.Id,
                    At = write.Now,
                    Actor = write.Caller.Organisation.Id,
                    Action = HistoryAction,
                    Description = description,
                });
                erased++;
            }
            await RedactedNotices.SignalAsync(write, redactedNotices);
            return new BatchOutcome(candidates.Count, erased, unacknowledged);
        }, cancellationToken);
        RedactedNotices.Redacted(feeds, redactedNotices);
        return outcome;
    }

    private static async Task<bool> ClaimAsync(WriteContext write, Candidate candidate, DateTime cutoff)
    {
        // What stays of the details: what the statistics count by, nothing about a person.
        var remains = ArrivalMapping.Serialize(new ArrivalDetails
        {
            Kind = candidate.Kind,
            MunicipalityCode = candidate.MunicipalityCode,
            ExpectedArrivalDate = ArrivalMapping.ToDate(candidate.ExpectedArrivalDate),
        });
        var claimed = await write.Db.Arrivals
            .Where(a => a.Id == candidate.Id)
            .Where(DueForErasure(cutoff))
            .ExecuteUpdateAsync(s => s
                .SetProperty(a => a.Details, remains)
                .SetProperty(a => a.CaseReference, "")
                .SetProperty(a => a.CancellationReason, (string?)null)
                .SetProperty(a => a.ConsentRefusalReason, (string?)null)
                .SetProperty(a => a.PersonalDataErasedAt, write.Now)
                .SetProperty(a => a.Version, a => a.Version + 1), write.CancellationToken);
        return claimed == 1;
    }

    private static async Task<int> EraseTravellersAsync(WriteContext write, string arrivalId)
    {
        // Who a BSN belongs to goes with the last arrival that carries it.
        var travellers = write.Db.Travellers;
        await write.Db.BsnHolders
            .Where(h => travellers.Any(t => t.ArrivalId == arrivalId && t.Bsn == h.Bsn) && !travellers.Any(t => t.ArrivalId != arrivalId && t.Bsn == h.Bsn))
            .ExecuteDeleteAsync(write.CancellationToken);
        return await travellers.Where(t => t.ArrivalId == arrivalId)
            .ExecuteUpdateAsync(s => s
                .SetProperty(t => t.VNumber, t => ErasedVNumberPrefix + t.Position.ToString())
                .SetProperty(t => t.OpenVNumber, (string?)null)
                // An empty BSN says "had one, erased": whether a traveller got a BSN is what their state
                // (and the count of BSNs assigned) is derived from, and it must not change.
                .SetProperty(t => t.Bsn, t => t.Bsn == null ? null : "")
                .SetProperty(t => t.ANumber, (string?)null)
                .SetProperty(t => t.RefusalReason, (string?)null), write.CancellationToken);
    }

    private sealed record Candidate(string Id, ArrivalKind Kind, string MunicipalityCode, DateOnly ExpectedArrivalDate);

    private sealed record StoredNotice(string FeedId, long Sequence, string Subject, byte[] Body, bool Unacknowledged);
}

/// <summary>One erase batch: how many were due, how many this instance erased, and how many notices it
/// redacted that their recipient had never acknowledged (a feed nobody reads any more).</summary>
internal sealed record BatchOutcome(int Due, int Erased, int UnacknowledgedNotices);
