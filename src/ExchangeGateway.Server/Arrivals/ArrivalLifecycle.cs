using ExchangeGateway.Contracts.V1;
using ExchangeGateway.Server.Deadlines;

namespace ExchangeGateway.Server.Arrivals;

/// <summary>The arrival's lifecycle: which state may follow which (the one place an arrival's state is
/// set), its history and version, which states are open, where a traveller stands, and when an arrival
/// is complete. The acknowledgement's set-based statement (<c>Feed/AcknowledgementWriter</c>) makes the
/// one transition that is not a row loaded here, Announced to Acknowledged, which the table allows too.</summary>
internal static class ArrivalLifecycle
{
    /// <summary>Every transition an arrival may make. A handler checks the state it needs first and
    /// answers FAILED_PRECONDITION with a reason (<c>ArrivalWrites.RequireState</c>), so a transition
    /// missing here is a fault of the gateway, never of the caller.</summary>
    private static readonly Dictionary<ArrivalState, ArrivalState[]> Transitions = new()
    {
        [ArrivalState.Unspecified] = [ArrivalState.Announced],
        // Announced to Announced: moved to another municipality, which must acknowledge it again.
        [ArrivalState.Announced] = [ArrivalState.Acknowledged, ArrivalState.AwaitingConsent, ArrivalState.Departed, ArrivalState.Cancelled, ArrivalState.Announced],
        // Consent asked again when an amendment changes the household; it lapses when no longer needed.
        [ArrivalState.AwaitingConsent] = [ArrivalState.Announced, ArrivalState.Acknowledged, ArrivalState.AwaitingConsent, ArrivalState.ConsentRefused, ArrivalState.Cancelled],
        [ArrivalState.Acknowledged] = [ArrivalState.Announced, ArrivalState.AwaitingConsent, ArrivalState.Departed, ArrivalState.Cancelled],
        [ArrivalState.Departed] = [ArrivalState.Arrived, ArrivalState.Cancelled],
        [ArrivalState.Arrived] = [ArrivalState.Completed],
    };

    /// <summary>Whether an arrival in <paramref name="from"/> may go to <paramref name="to"/>.</summary>
    public static bool Allows(ArrivalState from, ArrivalState to) => Transitions.TryGetValue(from, out var next) && next.Contains(to);

    /// <summary>Moves <paramref name="arrival"/> to the open state <paramref name="to"/>.</summary>
    /// <exception cref="InvalidOperationException">The table does not allow it (a handler did not check
    /// first), or <paramref name="to"/> closes the arrival, which only <see cref="CloseAsync"/> does.</exception>
    public static void Enter(ArrivalEntity arrival, ArrivalState to)
    {
        if (!IsOpen(to))
        {
            throw new InvalidOperationException($"{to} closes the arrival: close it with CloseAsync, which also clears its deadlines.");
        }
        Move(arrival, to);
    }

    /// <summary>Closes <paramref name="arrival"/> (completed, cancelled, consent refused): nothing is
    /// expected of anyone any more, so every deadline not yet passed goes with it, in the same change.</summary>
    public static Task CloseAsync(WriteContext write, ArrivalEntity arrival, ArrivalState to)
    {
        if (!Closed.Contains(to))
        {
            throw new InvalidOperationException($"{to} does not close an arrival.");
        }
        Move(arrival, to);
        return DeadlineSchedule.ClearAllAsync(write, arrival);
    }

    /// <summary>Writes what happened to the arrival into its history, by whom and when, and moves its
    /// version on: each change of a loaded arrival, a transition or not, is one entry. The set-based
    /// statements (the acknowledgement, retention's erasure) write theirs in their own SQL.</summary>
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

    private static void Move(ArrivalEntity arrival, ArrivalState to)
    {
        var from = arrival.State;
        if (!Allows(from, to))
        {
            throw new InvalidOperationException($"An arrival cannot go from {from} to {to}.");
        }
        arrival.State = to;
    }

    /// <summary>States in which an arrival still expects something to happen. A V-number may be in
    /// one open arrival only.</summary>
    public static readonly ArrivalState[] Open =
        [ArrivalState.Announced, ArrivalState.AwaitingConsent, ArrivalState.Acknowledged, ArrivalState.Departed, ArrivalState.Arrived];

    public static bool IsOpen(ArrivalState state) => Open.Contains(state);

    /// <summary>The states an arrival ends in.</summary>
    public static readonly ArrivalState[] Closed = [ArrivalState.Completed, ArrivalState.Cancelled, ArrivalState.ConsentRefused];

    /// <summary>Family-reunification travellers (nareizigers) must also check in at the IND.</summary>
    public static bool NeedsCheckIn(ArrivalEntity arrival) => arrival.Kind == ArrivalKind.FamilyReunification;

    /// <summary>A traveller is done when they have a BSN and, where needed, checked in at the IND.</summary>
    public static bool IsDone(ArrivalEntity arrival, TravellerEntity traveller) =>
        traveller.Bsn is not null && (!NeedsCheckIn(arrival) || traveller.CheckedInAt is not null);

    /// <summary>Whether every traveller is done, so the arrival completes.</summary>
    public static bool IsComplete(ArrivalEntity arrival) =>
        arrival.Travellers.Count > 0 && arrival.Travellers.All(t => IsDone(arrival, t));

    public static TravellerState StateOf(ArrivalEntity arrival, TravellerEntity traveller) => arrival.State switch
    {
        ArrivalState.Cancelled or ArrivalState.ConsentRefused => TravellerState.Cancelled,
        ArrivalState.Arrived or ArrivalState.Completed => IsDone(arrival, traveller)
            ? TravellerState.Completed
            : traveller.Bsn is not null
                ? TravellerState.BsnAssigned
                : traveller.RegistrationStatus switch
                {
                    RegistrationStatus.Pending => TravellerState.RegistrationPending,
                    RegistrationStatus.Registered => TravellerState.Registered,
                    RegistrationStatus.Refused => TravellerState.RegistrationRefused,
                    _ => TravellerState.RegistrationDue,
                },
        _ => TravellerState.Expected,
    };
}
