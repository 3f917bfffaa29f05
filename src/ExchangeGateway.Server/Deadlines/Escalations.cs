using ExchangeGateway.Contracts.V1;
using ExchangeGateway.Server.Arrivals;

namespace ExchangeGateway.Server.Deadlines;

/// <summary>Raises an escalation about an arrival: records it, adds it to the history and tells the
/// organisations that can act on it, and always chain coordination. Who is told is decided here, in
/// one place (the README's escalation table is this method).</summary>
internal static class Escalations
{
    public static EscalationEntity Raise(
        ChangeContext write,
        ArrivalEntity arrival,
        EscalationKind kind,
        string description,
        Action<EscalationRaised>? describe = null,
        string? overdueFeed = null)
    {
        var escalation = new EscalationEntity
        {
            Id = Guid.CreateVersion7(write.Now).ToString(),
            ArrivalId = arrival.Id,
            Kind = kind,
            RaisedAt = write.Now,
            Description = description,
        };
        arrival.Escalations.Add(escalation);
        ArrivalLifecycle.Record(write, arrival, "escalated", description);
        var raised = new EscalationRaised
        {
            ArrivalId = arrival.Id,
            MunicipalityCode = arrival.MunicipalityCode,
            Escalation = ArrivalMapping.ToContract(escalation),
        };
        describe?.Invoke(raised);
        foreach (var feed in Recipients(kind, arrival.MunicipalityCode, overdueFeed))
        {
            write.Outbox.Add(feed, arrival.Id, new Notice { EscalationRaised = raised.Clone() });
        }
        return escalation;
    }

    /// <summary>The feeds told of an escalation of <paramref name="kind"/>; chain coordination always.</summary>
    public static IEnumerable<string> Recipients(EscalationKind kind, string municipalityCode, string? overdueFeed = null)
    {
        var municipality = FeedNames.Municipality(municipalityCode);
        IEnumerable<string> concerned = kind switch
        {
            // A municipality's silence goes to COA (it must not send people to a municipality that has
            // not taken the announcement in); COA's or the IND's silence only to chain coordination.
            EscalationKind.AcknowledgementOverdue when overdueFeed?.StartsWith("municipality:", StringComparison.Ordinal) == true => [FeedNames.Coa],
            EscalationKind.AcknowledgementOverdue => [],
            EscalationKind.LateAnnouncement => [municipality],
            EscalationKind.ConsentOverdue => [municipality, FeedNames.Coa],
            EscalationKind.RegistrationOverdue => [municipality, FeedNames.Coa],
            EscalationKind.CheckInOverdue => [FeedNames.Ind, municipality, FeedNames.Coa],
            EscalationKind.IdentifierConflict => [municipality, FeedNames.Ind],
            _ => [],
        };
        return concerned.Append(FeedNames.Chain);
    }
}
