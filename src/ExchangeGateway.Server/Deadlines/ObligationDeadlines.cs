using ExchangeGateway.Contracts.V1;
using ExchangeGateway.Server.Arrivals;
using ExchangeGateway.Server.Rules;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace ExchangeGateway.Server.Deadlines;

/// <summary>The chain's deadlines (consent decision, BRP registration, IND check-in): each due
/// deadline is claimed by a conditional update, so it fires once even with several gateway instances
/// on one database, and one that passed while the gateway was down fires at the first sweep.</summary>
internal sealed class ObligationDeadlines(GatewayStore store, IOptions<GatewayOptions> options)
{
    private const int BatchSize = 100;

    private readonly Caller _gateway = Caller.Gateway(options.Value.GatewayOin);

    /// <summary>Escalates every obligation past its deadline; returns how many.</summary>
    public async Task<int> SweepAsync(CancellationToken cancellationToken)
    {
        var total = 0;
        while (true)
        {
            var (claimed, raised) = await store.WriteAsync(_gateway, FireBatchAsync, cancellationToken);
            total += raised;
            if (claimed < BatchSize)
            {
                return total;
            }
        }
    }

    private async Task<(int Claimed, int Raised)> FireBatchAsync(WriteContext write)
    {
        var due = await write.Db.Deadlines.AsNoTracking()
            .Where(d => d.FiredAt == null && d.DueAt <= write.Now)
            .OrderBy(d => d.DueAt)
            .Take(BatchSize)
            .ToListAsync(write.CancellationToken);
        var raised = 0;
        foreach (var deadline in due)
        {
            var claimed = await write.Db.Deadlines
                .Where(d => d.Id == deadline.Id && d.FiredAt == null)
                .ExecuteUpdateAsync(s => s.SetProperty(d => d.FiredAt, write.Now), write.CancellationToken);
            if (claimed == 0)
            {
                continue;
            }
            var arrival = await write.Db.Arrivals.Include(a => a.Travellers)
                .FirstOrDefaultAsync(a => a.Id == deadline.ArrivalId, write.CancellationToken);
            if (arrival is not null && Overdue(arrival, deadline.Kind) is { } description)
            {
                Escalations.Raise(write, arrival, deadline.Kind, description);
                raised++;
            }
        }
        return (due.Count, raised);
    }

    /// <summary>What is overdue, for a person (no personal data); null when the obligation turns out
    /// to be met after all (it is cleared in the same transaction that meets it, so this is a guard).</summary>
    private string? Overdue(ArrivalEntity arrival, EscalationKind kind)
    {
        var rules = options.Value.Rules;
        var state = arrival.State;
        switch (kind)
        {
            case EscalationKind.ConsentOverdue when state == ArrivalState.AwaitingConsent:
                return $"Municipality {arrival.MunicipalityCode} has not decided on consent for a household of {arrival.ConsentHouseholdSize}, " +
                    $"requested on {Day(arrival.ConsentRequestedAt)}; the decision was due by {arrival.ConsentDecideBy:yyyy-MM-dd}.";
            case EscalationKind.RegistrationOverdue when state == ArrivalState.Arrived:
                var unreported = arrival.Travellers.Count(t => t.RegistrationStatus is RegistrationStatus.NotReported or RegistrationStatus.Unspecified);
                return unreported == 0 ? null
                    : $"{unreported} of {arrival.Travellers.Count} traveller(s) not reported to the BRP of municipality {arrival.MunicipalityCode} " +
                      $"by the {rules.RegistrationDays}th day after arrival on {Day(arrival.ArrivedAt)} (Wet BRP art. 2.38).";
            case EscalationKind.CheckInOverdue when ArrivalLifecycle.IsOpen(state) || state == ArrivalState.Completed:
                var missing = arrival.Travellers.Count(t => t.CheckedInAt is null);
                return missing == 0 ? null
                    : $"{missing} of {arrival.Travellers.Count} traveller(s) have not checked in at the IND {rules.CheckInDays} days after arrival on {Day(arrival.ArrivedAt)}.";
            default:
                return null;
        }
    }

    private static string Day(DateTime? utc) =>
        utc is { } t ? AmsterdamCalendar.DateOf(DateTime.SpecifyKind(t, DateTimeKind.Utc)).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture) : "?";
}
