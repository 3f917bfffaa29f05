using ExchangeGateway.Contracts.V1;
using Microsoft.EntityFrameworkCore;

namespace ExchangeGateway.Server.Arrivals;

/// <summary>Steps every arrival-changing unit of work shares: load what the caller may see, check
/// the state, keep the travellers, record history, bump the version, answer.</summary>
internal static class ArrivalWrites
{
    /// <summary>Loads the arrival with travellers and history, or NOT_FOUND when it does not exist
    /// or the caller may not see it (the two are answered alike).</summary>
    public static async Task<ArrivalEntity> LoadVisibleAsync(GatewayDbContext db, Caller caller, string arrivalId, CancellationToken cancellationToken)
    {
        var arrival = await db.Arrivals
            .Include(a => a.Travellers)
            .Include(a => a.History)
            .Include(a => a.Escalations)
            .AsSplitQuery()
            .FirstOrDefaultAsync(a => a.Id == arrivalId, cancellationToken);
        if (arrival is null || !AccessPolicy.CanSee(caller, arrival))
        {
            throw GatewayErrors.ArrivalNotFound(arrivalId);
        }
        return arrival;
    }

    /// <summary>FAILED_PRECONDITION unless the arrival is in one of <paramref name="allowed"/>.</summary>
    public static void RequireState(ArrivalEntity arrival, string action, params ArrivalState[] allowed)
    {
        var state = arrival.State;
        if (!allowed.Contains(state))
        {
            throw GatewayErrors.FailedPrecondition("ARRIVAL_STATE", "arrivals/" + arrival.Id,
                $"Cannot {action}: the arrival is {Describe(state)}; this is only possible when it is {string.Join(" or ", allowed.Select(Describe))}.");
        }
    }

    /// <summary>One V-number in two open arrivals would announce one person to two places. This check
    /// gives the caller its reason; the unique index on the open V-numbers settles two instances that
    /// check at the same moment (the loser's unit runs again and gets here).</summary>
    public static async Task RequireNotInOtherOpenArrivalAsync(WriteContext write, List<string> vNumbers, string? arrivalId)
    {
        var clash = await write.Statements.FindOpenTravellerAsync(write.Connection, write.Transaction, vNumbers, arrivalId, write.CancellationToken);
        if (clash is not null)
        {
            var index = vNumbers.IndexOf(clash);
            throw GatewayErrors.FailedPrecondition("TRAVELLER_IN_OPEN_ARRIVAL", $"arrival.travellers[{index}].v_number",
                $"Traveller arrival.travellers[{index}] is already in another open arrival; cancel or complete that one first.");
        }
    }

    /// <summary>Keeps the status of travellers who stay (matched by V-number), adds new ones and
    /// drops those no longer listed.</summary>
    public static void SyncTravellers(ArrivalEntity arrival, ArrivalDetails details)
    {
        var wanted = details.Travellers.Select((t, i) => (t.VNumber, Position: i)).ToDictionary(t => t.VNumber, t => t.Position);
        arrival.Travellers.RemoveAll(t => !wanted.ContainsKey(t.VNumber));
        foreach (var (vNumber, position) in wanted)
        {
            var existing = arrival.Travellers.FirstOrDefault(t => t.VNumber == vNumber);
            if (existing is null)
            {
                arrival.Travellers.Add(new TravellerEntity
                {
                    ArrivalId = arrival.Id,
                    VNumber = vNumber,
                    OpenVNumber = vNumber, // announced and amended arrivals are open
                    Position = position,
                    RegistrationStatus = RegistrationStatus.NotReported,
                });
            }
            else
            {
                existing.Position = position;
            }
        }
    }

    /// <summary>The answer of every arrival-changing RPC: the arrival as it now is, with its history.</summary>
    public static ArrivalResponse Response(ArrivalEntity arrival, ArrivalDetails? details = null) =>
        new() { Arrival = ArrivalMapping.ToContract(arrival, withHistory: true, details) };

    public static string Describe(ArrivalState state) => state switch
    {
        ArrivalState.Announced => "announced (not yet acknowledged by the municipality)",
        ArrivalState.Acknowledged => "acknowledged by the municipality",
        ArrivalState.Departed => "departed (travellers on their way)",
        ArrivalState.Arrived => "arrived",
        ArrivalState.Completed => "completed (every traveller registered with a BSN)",
        ArrivalState.Cancelled => "cancelled",
        _ => state.ToString(),
    };
}
