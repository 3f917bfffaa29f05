using ExchangeGateway.Contracts.V1;
using ExchangeGateway.Server.Storage;

namespace ExchangeGateway.Server.Arrivals;

/// <summary>The lifecycle rules that are not a single transition: which states are open, where a
/// traveller stands, and when an arrival is complete.</summary>
internal static class ArrivalLifecycle
{
    /// <summary>States in which an arrival still expects something to happen. A V-number may be in
    /// one open arrival only.</summary>
    public static readonly ArrivalState[] Open =
        [ArrivalState.Announced, ArrivalState.AwaitingConsent, ArrivalState.Acknowledged, ArrivalState.Departed, ArrivalState.Arrived];

    public static bool IsOpen(ArrivalState state) => Open.Contains(state);

    /// <summary>Family-reunification travellers (nareizigers) must also check in at the IND.</summary>
    public static bool NeedsCheckIn(ArrivalEntity arrival) => (ArrivalKind)arrival.Kind == ArrivalKind.FamilyReunification;

    /// <summary>A traveller is done when they have a BSN and, where needed, checked in at the IND.</summary>
    public static bool IsDone(ArrivalEntity arrival, TravellerEntity traveller) =>
        traveller.Bsn is not null && (!NeedsCheckIn(arrival) || traveller.CheckedInAt is not null);

    /// <summary>Whether every traveller is done, so the arrival completes.</summary>
    public static bool IsComplete(ArrivalEntity arrival) =>
        arrival.Travellers.Count > 0 && arrival.Travellers.All(t => IsDone(arrival, t));

    public static TravellerState StateOf(ArrivalEntity arrival, TravellerEntity traveller) => (ArrivalState)arrival.State switch
    {
        ArrivalState.Cancelled or ArrivalState.ConsentRefused => TravellerState.Cancelled,
        ArrivalState.Arrived or ArrivalState.Completed => IsDone(arrival, traveller)
            ? TravellerState.Completed
            : traveller.Bsn is not null
                ? TravellerState.BsnAssigned
                : (RegistrationStatus)traveller.RegistrationStatus switch
                {
                    RegistrationStatus.Pending => TravellerState.RegistrationPending,
                    RegistrationStatus.Registered => TravellerState.Registered,
                    RegistrationStatus.Refused => TravellerState.RegistrationRefused,
                    _ => TravellerState.RegistrationDue,
                },
        _ => TravellerState.Expected,
    };
}
