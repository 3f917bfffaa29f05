using ExchangeGateway.Contracts.V1;
using ExchangeGateway.Server.Arrivals;
using Microsoft.EntityFrameworkCore;

namespace ExchangeGateway.Server.Chain;

/// <summary>Open escalations, oldest first, with the arrival and municipality each is about.</summary>
internal static class OpenEscalationsQuery
{
    /// <summary>Most escalations one answer lists.</summary>
    public const int MaxListed = 1000;

    public static async Task<ListOpenEscalationsResponse> RunAsync(GatewayDbContext db, string? municipalityCode, CancellationToken cancellationToken)
    {
        var open =
            from escalation in db.Escalations.AsNoTracking()
            where escalation.ResolvedAt == null
            join arrival in db.Arrivals.AsNoTracking() on escalation.ArrivalId equals arrival.Id
            where municipalityCode == null || arrival.MunicipalityCode == municipalityCode
            select new { escalation, arrival.MunicipalityCode };
        var total = await open.LongCountAsync(cancellationToken);
        var listed = await open.OrderBy(e => e.escalation.RaisedAt).ThenBy(e => e.escalation.Id).Take(MaxListed).ToListAsync(cancellationToken);
        var response = new ListOpenEscalationsResponse { Total = total };
        response.Escalations.AddRange(listed.Select(e => new OpenEscalation
        {
            ArrivalId = e.escalation.ArrivalId,
            MunicipalityCode = e.MunicipalityCode,
            Escalation = ArrivalMapping.ToContract(e.escalation),
        }));
        return response;
    }
}
