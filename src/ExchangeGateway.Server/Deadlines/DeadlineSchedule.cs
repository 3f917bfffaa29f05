using ExchangeGateway.Contracts.V1;
using ExchangeGateway.Server.Rules;
using Microsoft.EntityFrameworkCore;

namespace ExchangeGateway.Server.Deadlines;

/// <summary>Sets and clears an arrival's obligations inside the unit of work that creates or meets
/// them, so a deadline exists exactly when its obligation is open (see <see cref="DeadlineEntity"/>).</summary>
internal static class DeadlineSchedule
{
    /// <summary>An obligation that must be met by the end of <paramref name="lastDay"/> (Europe/Amsterdam):
    /// it becomes overdue when the next day begins there. Replaces an unfired one of the same kind.</summary>
    public static async Task SetAsync(WriteContext write, ArrivalEntity arrival, EscalationKind kind, DateOnly lastDay)
    {
        await ClearAsync(write, arrival, kind);
        write.Db.Deadlines.Add(New(write.Now, arrival.Id, kind, lastDay));
    }

    /// <summary>The deadline of an obligation that must be met by the end of <paramref name="lastDay"/>
    /// (Amsterdam): it passes at the start of the next day.</summary>
    public static DeadlineEntity New(DateTime now, string arrivalId, EscalationKind kind, DateOnly lastDay) => new()
    {
        Id = Guid.CreateVersion7(now).ToString(),
        ArrivalId = arrivalId,
        Kind = kind,
        DueAt = AmsterdamCalendar.StartOfDayUtc(lastDay.AddDays(1)),
    };

    /// <summary>The obligation is met (or no longer applies): its deadline will not fire. One that
    /// already fired stays, as the record of the escalation.</summary>
    public static Task ClearAsync(WriteContext write, ArrivalEntity arrival, EscalationKind kind)
    {
        var arrivalId = arrival.Id;
        // One set earlier in this unit of work is not in the database yet.
        foreach (var pending in write.Db.Deadlines.Local.Where(d => d.ArrivalId == arrivalId && d.Kind == kind && d.FiredAt == null).ToList())
        {
            write.Db.Deadlines.Remove(pending);
        }
        return write.Db.Deadlines
            .Where(d => d.ArrivalId == arrivalId && d.Kind == kind && d.FiredAt == null)
            .ExecuteDeleteAsync(write.CancellationToken);
    }

    /// <summary>Clears every unfired deadline of a closed arrival.</summary>
    public static Task ClearAllAsync(WriteContext write, ArrivalEntity arrival)
    {
        var arrivalId = arrival.Id;
        return write.Db.Deadlines
            .Where(d => d.ArrivalId == arrivalId && d.FiredAt == null)
            .ExecuteDeleteAsync(write.CancellationToken);
    }
}
