using ExchangeGateway.Contracts.V1;
using ExchangeGateway.Server.Arrivals;
using Microsoft.EntityFrameworkCore;

namespace ExchangeGateway.Server.Municipalities;

/// <summary>Matches the people of an unannounced-arrival report against the arrivals the gateway
/// knows, by V-number. What is found goes to COA, the IND and chain coordination; the reporting
/// municipality only learns whether a person was announced to it (see <see cref="IsAnnouncedHere"/>).</summary>
internal static class UnannouncedMatching
{
    /// <summary>One arrival that names a reported V-number.</summary>
    public sealed record Candidate(string VNumber, string ArrivalId, string MunicipalityCode, ArrivalState State, bool Acknowledged);

    /// <summary>The report's persons, in the order given, each with what was matched.</summary>
    public static async Task<List<UnannouncedPersonEntity>> MatchAsync(
        GatewayDbContext db, string reportId, string municipalityCode, IReadOnlyList<string> vNumbers, CancellationToken cancellationToken)
    {
        var wanted = vNumbers.ToList();
        var rows = await (
            from traveller in db.Travellers.AsNoTracking()
            join arrival in db.Arrivals.AsNoTracking() on traveller.ArrivalId equals arrival.Id
            where wanted.Contains(traveller.VNumber)
            select new { traveller.VNumber, arrival.Id, arrival.MunicipalityCode, arrival.State, arrival.AcknowledgedAt })
            .ToListAsync(cancellationToken);
        var byVNumber = rows
            .Select(r => new Candidate(r.VNumber, r.Id, r.MunicipalityCode, r.State, r.AcknowledgedAt is not null))
            .ToLookup(c => c.VNumber, StringComparer.Ordinal);
        return [.. wanted.Select((vNumber, position) =>
        {
            var (match, arrival) = Classify(municipalityCode, byVNumber[vNumber]);
            return new UnannouncedPersonEntity
            {
                ReportId = reportId,
                Position = position,
                VNumber = vNumber,
                Match = match,
                MatchedArrivalId = arrival?.ArrivalId,
                MatchedMunicipalityCode = arrival?.MunicipalityCode,
            };
        })];
    }

    /// <summary>What the arrivals naming one V-number say about a report from <paramref name="municipalityCode"/>.
    /// Open arrivals count before closed ones; of closed ones the newest is named (ids are version 7
    /// UUIDs, so the largest is the newest).</summary>
    public static (UnannouncedMatch Match, Candidate? Arrival) Classify(string municipalityCode, IEnumerable<Candidate> candidates)
    {
        var all = candidates.ToList();
        var open = all.Where(c => ArrivalLifecycle.IsOpen(c.State)).ToList();
        // A V-number is in one open arrival at most (AnnounceArrival refuses a second); should that
        // ever not hold, the arrival to the reporting municipality is the one that answers it.
        var here = open.Where(c => c.MunicipalityCode == municipalityCode).MaxBy(c => c.ArrivalId, StringComparer.Ordinal);
        if (here is not null)
        {
            return (here.Acknowledged ? UnannouncedMatch.AnnouncedHere : UnannouncedMatch.AnnouncedHereNotAcknowledged, here);
        }
        if (open.MaxBy(c => c.ArrivalId, StringComparer.Ordinal) is { } elsewhere)
        {
            return (UnannouncedMatch.AnnouncedElsewhere, elsewhere);
        }
        if (all.MaxBy(c => c.ArrivalId, StringComparer.Ordinal) is { } closed)
        {
            return (UnannouncedMatch.OnlyClosedArrivals, closed);
        }
        return (UnannouncedMatch.NotAnnounced, null);
    }

    /// <summary>Whether the match is one the reporting municipality may learn: an open arrival to it.
    /// Every other match is answered as "not announced here", so the reporter cannot tell a person
    /// announced to another municipality from a person nobody knows.</summary>
    public static bool IsAnnouncedHere(UnannouncedMatch match) =>
        match is UnannouncedMatch.AnnouncedHere or UnannouncedMatch.AnnouncedHereNotAcknowledged;
}
