using ExchangeGateway.Contracts.V1;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;

namespace ExchangeGateway.Server.Arrivals;

/// <summary>Between stored rows and contract messages.</summary>
internal static class ArrivalMapping
{
    public static ArrivalDetails DetailsOf(ArrivalEntity arrival) => ArrivalDetails.Parser.ParseFrom(arrival.Details);

    // details: the arrival's details when the caller has them, so they are not parsed again.
    public static Arrival ToContract(ArrivalEntity arrival, bool withHistory, ArrivalDetails? details = null)
    {
        details ??= DetailsOf(arrival);
        var result = new Arrival
        {
            ArrivalId = arrival.Id,
            Details = details,
            State = arrival.State,
            AnnouncedBy = arrival.AnnouncedBy,
            AnnouncedAt = ToTimestamp(arrival.AnnouncedAt),
            AcknowledgedAt = ToTimestamp(arrival.AcknowledgedAt),
            DepartedAt = ToTimestamp(arrival.DepartedAt),
            ArrivedAt = ToTimestamp(arrival.ArrivedAt),
            CancelledAt = ToTimestamp(arrival.CancelledAt),
            CancellationReason = arrival.CancellationReason ?? "",
            Version = arrival.Version,
            LateAnnouncement = arrival.LateAnnouncement,
            Consent = ConsentOf(arrival),
        };
        result.Travellers.AddRange(arrival.Travellers.OrderBy(t => t.Position).Select(t => ToContract(arrival, t)));
        if (withHistory)
        {
            // Entries added by the unit of work that builds this answer have no id until it commits
            // (0 or a temporary value); they are the newest, so they come last, in the order added.
            var history = arrival.History.Where(h => h.Id > 0).OrderBy(h => h.Id).Concat(arrival.History.Where(h => h.Id <= 0));
            result.History.AddRange(history.Select(h => new HistoryEntry
            {
                Time = ToTimestamp(h.At),
                Actor = h.Actor,
                Action = h.Action,
                Description = h.Description,
            }));
        }
        result.Escalations.AddRange(arrival.Escalations.OrderBy(e => e.RaisedAt).ThenBy(e => e.Id).Select(ToContract));
        return result;
    }

    public static Escalation ToContract(EscalationEntity escalation) => new()
    {
        EscalationId = escalation.Id,
        Kind = escalation.Kind,
        RaisedAt = ToTimestamp(escalation.RaisedAt),
        Description = escalation.Description,
        ResolvedAt = ToTimestamp(escalation.ResolvedAt),
        ResolutionNote = escalation.ResolutionNote ?? "",
        ResolvedBy = escalation.ResolvedBy ?? "",
    };

    public static Consent ConsentOf(ArrivalEntity arrival) => new()
    {
        // Arrivals announced before the household policy existed have no consent status: none was needed.
        Status = arrival.ConsentStatus == 0 ? ConsentStatus.NotRequired : arrival.ConsentStatus,
        HouseholdSize = arrival.ConsentHouseholdSize,
        RequestedAt = ToTimestamp(arrival.ConsentRequestedAt),
        DecideBy = ToDate(arrival.ConsentDecideBy),
        DecidedAt = ToTimestamp(arrival.ConsentDecidedAt),
        RefusalReason = arrival.ConsentRefusalReason ?? "",
    };

    /// <summary>A traveller's status as of <paramref name="arrival"/>'s current state.</summary>
    public static TravellerStatus ToContract(ArrivalEntity arrival, TravellerEntity traveller) => new()
    {
        State = ArrivalLifecycle.StateOf(arrival, traveller),
        CheckedInAt = ToTimestamp(traveller.CheckedInAt),
        // Retention erased the V-number of a closed arrival's travellers; what stands in the key column
        // then is a placeholder, never shown as if it were a V-number.
        VNumber = arrival.PersonalDataErasedAt is null ? traveller.VNumber : "",
        RegistrationStatus = traveller.RegistrationStatus,
        RegisteredOn = ToDate(traveller.RegisteredOn),
        RefusalReason = traveller.RefusalReason ?? "",
        Bsn = traveller.Bsn ?? "",
        ANumber = traveller.ANumber ?? "",
        BsnAssignedAt = ToTimestamp(traveller.BsnAssignedAt),
    };

    public static byte[] Serialize(ArrivalDetails details) => details.ToByteArray();

    public static DateOnly ToDateOnly(Date date) => new(date.Year, date.Month, date.Day);

    public static Date? ToDate(DateOnly? date) => date is { } d ? new Date { Year = d.Year, Month = d.Month, Day = d.Day } : null;

    public static Timestamp? ToTimestamp(DateTime? time) =>
        time is { } t ? Timestamp.FromDateTime(DateTime.SpecifyKind(t, DateTimeKind.Utc)) : null;
}
