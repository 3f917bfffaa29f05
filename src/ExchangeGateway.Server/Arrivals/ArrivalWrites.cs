using ExchangeGateway.Contracts.V1;
using ExchangeGateway.Server.Errors;
using ExchangeGateway.Server.Identity;
using ExchangeGateway.Server.Storage;
using Microsoft.EntityFrameworkCore;

namespace ExchangeGateway.Server.Arrivals;

/// <summary>Steps every arrival-changing unit of work shares: load what the caller may see, check
/// the state, record history, bump the version.</summary>
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
        var state = (ArrivalState)arrival.State;
        if (!allowed.Contains(state))
        {
            throw GatewayErrors.FailedPrecondition("ARRIVAL_STATE", "arrivals/" + arrival.Id,
                $"Cannot {action}: the arrival is {Describe(state)}; this is only possible when it is {string.Join(" or ", allowed.Select(Describe))}.");
        }
    }

    public static void Record(ChangeContext context, ArrivalEntity arrival, string action, string description)
    {
        arrival.History.Add(new ArrivalHistoryEntity
        {
            ArrivalId = arrival.Id,
            At = context.Now,
            Actor = context.Caller.Organisation.Id,
            Action = action,
            Description = description,
        });
        arrival.Version++;
    }

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
