using ExchangeGateway.Contracts.V1;
using Google.Protobuf.WellKnownTypes;

namespace ExchangeGateway.Server.Arrivals;

/// <summary>Moving an open arrival to another municipality, whether COA amends the municipality or
/// the municipality merged and its code closed. The old municipality is told the arrival is off, the
/// new one gets it as an announcement (and must acknowledge it), the IND learns the new municipality.
///
/// What happens to the state: an arrival whose travellers have not left yet goes back to Announced,
/// since the new municipality has not taken it in. One awaiting consent keeps waiting, now for the new
/// municipality, which is asked by the same notice the old one got. A household that already left or
/// arrived keeps its state: the move does not undo the journey, so the new municipality is also told
/// when they left and arrived, and their registration simply continues there.</summary>
internal static class ArrivalMoves
{
    /// <summary>Moves <paramref name="arrival"/> from <paramref name="from"/> to the municipality of
    /// <paramref name="details"/>, which become the stored details; records <paramref name="description"/>
    /// in the history and tells the old municipality <paramref name="cancellationReason"/>. Neither
    /// text may carry personal data.</summary>
    public static void Move(WriteContext write, ArrivalEntity arrival, string from, ArrivalDetails details, string description, string cancellationReason)
    {
        var to = details.MunicipalityCode;
        arrival.MunicipalityCode = to;
        arrival.Details = ArrivalMapping.Serialize(details);
        var state = arrival.State;
        if (state is ArrivalState.Announced or ArrivalState.Acknowledged)
        {
            ArrivalLifecycle.Enter(arrival, ArrivalState.Announced);
            arrival.AcknowledgedAt = null;
        }
        ArrivalLifecycle.Record(write, arrival, "moved", description);

        ArrivalNotices.TellFormerMunicipality(write, arrival, from,
            new ArrivalCancelled { ArrivalId = arrival.Id, MunicipalityCode = from, Reason = cancellationReason });
        ArrivalNotices.Tell(write, arrival, new Notice
        {
            ArrivalAnnounced = new ArrivalAnnounced
            {
                ArrivalId = arrival.Id,
                Details = details,
                LateAnnouncement = arrival.LateAnnouncement,
                Consent = arrival.ConsentStatus,
            },
        });
        if (state == ArrivalState.AwaitingConsent)
        {
            ArrivalNotices.Tell(write, arrival, ConsentRequest(arrival));
        }
        if (state is ArrivalState.Departed or ArrivalState.Arrived && arrival.DepartedAt is { } departedAt)
        {
            ArrivalNotices.Tell(write, arrival, new Notice
            {
                TravellersDeparted = new TravellersDeparted { ArrivalId = arrival.Id, MunicipalityCode = to, DepartedAt = Utc(departedAt) },
            });
        }
        if (state == ArrivalState.Arrived && arrival.ArrivedAt is { } arrivedAt)
        {
            ArrivalNotices.Tell(write, arrival, new Notice
            {
                TravellersArrived = new TravellersArrived { ArrivalId = arrival.Id, MunicipalityCode = to, ArrivedAt = Utc(arrivedAt) },
            });
        }
        ArrivalNotices.Tell(write, arrival, new Notice { TravellersAnnounced = IndView(arrival, details) });
    }

    /// <summary>The consent request to the arrival's (current) municipality.</summary>
    public static Notice ConsentRequest(ArrivalEntity arrival) => new()
    {
        ConsentRequested = new ConsentRequested
        {
            ArrivalId = arrival.Id,
            MunicipalityCode = arrival.MunicipalityCode,
            HouseholdSize = arrival.ConsentHouseholdSize,
            DecideBy = ArrivalMapping.ToDate(arrival.ConsentDecideBy),
        },
    };

    /// <summary>What the IND needs of an announcement: who is expected where and when, no more.</summary>
    public static TravellersAnnounced IndView(ArrivalEntity arrival, ArrivalDetails details)
    {
        var view = new TravellersAnnounced
        {
            ArrivalId = arrival.Id,
            MunicipalityCode = details.MunicipalityCode,
            Kind = details.Kind,
            ExpectedArrivalDate = details.ExpectedArrivalDate,
        };
        view.VNumbers.AddRange(details.Travellers.Select(t => t.VNumber));
        return view;
    }

    private static Timestamp Utc(DateTime time) => Timestamp.FromDateTime(DateTime.SpecifyKind(time, DateTimeKind.Utc));
}
