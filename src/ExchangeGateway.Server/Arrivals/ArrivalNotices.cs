using ExchangeGateway.Contracts.V1;

namespace ExchangeGateway.Server.Arrivals;

/// <summary>Who is told what about an arrival: one row per kind of notice, the one place that decides it
/// (the README's "Who is told what" is this table; <c>ArrivalNoticesTests</c> compares the two). A feed
/// that is not in a row never gets that notice: the gateway tells each organisation what it needs for its
/// task and no more (data minimisation). Escalations are routed by their kind (<c>Deadlines/Escalations</c>);
/// an unannounced-arrival report is not about one arrival and says itself who learns what.</summary>
internal static class ArrivalNotices
{
    /// <summary>An organisation told of an arrival's notices; the municipality is the arrival's own.</summary>
    public enum Audience
    {
        Municipality,
        Coa,
        Ind,
        Chain,
    }

    public static readonly IReadOnlyDictionary<Notice.PayloadOneofCase, Audience[]> Audiences = new Dictionary<Notice.PayloadOneofCase, Audience[]>
    {
        [Notice.PayloadOneofCase.ArrivalAnnounced] = [Audience.Municipality],
        [Notice.PayloadOneofCase.ConsentRequested] = [Audience.Municipality],
        // The IND's view of an announcement or amendment: who is expected where and when, no details.
        [Notice.PayloadOneofCase.TravellersAnnounced] = [Audience.Ind],
        [Notice.PayloadOneofCase.ArrivalAmended] = [Audience.Municipality],
        [Notice.PayloadOneofCase.AnnouncementReceived] = [Audience.Coa],
        [Notice.PayloadOneofCase.ConsentDecided] = [Audience.Coa, Audience.Ind],
        [Notice.PayloadOneofCase.ArrivalCancelled] = [Audience.Municipality, Audience.Ind],
        [Notice.PayloadOneofCase.TravellersDeparted] = [Audience.Municipality],
        [Notice.PayloadOneofCase.TravellersArrived] = [Audience.Municipality],
        [Notice.PayloadOneofCase.RegistrationReported] = [Audience.Coa, Audience.Ind],
        [Notice.PayloadOneofCase.BsnAssigned] = [Audience.Coa, Audience.Ind],
        [Notice.PayloadOneofCase.TravellerCheckedIn] = [Audience.Municipality, Audience.Coa],
        [Notice.PayloadOneofCase.EscalationResolved] = [Audience.Coa, Audience.Chain],
    };

    /// <summary>Puts <paramref name="notice"/> on the feed of each organisation its row names, in this change.</summary>
    public static void Tell(ChangeContext write, ArrivalEntity arrival, Notice notice) =>
        Tell(write, arrival.Id, arrival.MunicipalityCode, notice);

    /// <summary>The same for an arrival that is not loaded (the acknowledgement's set-based path).</summary>
    public static void Tell(ChangeContext write, string arrivalId, string municipalityCode, Notice notice, string? causedBy = null)
    {
        if (!Audiences.TryGetValue(notice.PayloadCase, out var audiences))
        {
            throw new InvalidOperationException($"No row in ArrivalNotices says who is told of {notice.PayloadCase}.");
        }
        // Each feed gets its own copy, taken before the outbox stamps the first (id, time, source).
        var copies = audiences.Select((_, i) => i == 0 ? notice : notice.Clone()).ToList();
        for (var i = 0; i < audiences.Length; i++)
        {
            write.Outbox.Add(FeedOf(audiences[i], municipalityCode), arrivalId, copies[i], causedBy);
        }
    }

    /// <summary>A move: only the municipality the arrival leaves learns that it is off there; everyone
    /// else learns the move from the announcement to the new one.</summary>
    public static void TellFormerMunicipality(ChangeContext write, ArrivalEntity arrival, string formerCode, ArrivalCancelled withdrawn) =>
        write.Outbox.Add(FeedNames.Municipality(formerCode), arrival.Id, new Notice { ArrivalCancelled = withdrawn });

    private static string FeedOf(Audience audience, string municipalityCode) => audience switch
    {
        Audience.Municipality => FeedNames.Municipality(municipalityCode),
        Audience.Coa => FeedNames.Coa,
        Audience.Ind => FeedNames.Ind,
        Audience.Chain => FeedNames.Chain,
        _ => throw new ArgumentOutOfRangeException(nameof(audience), audience, null),
    };
}
