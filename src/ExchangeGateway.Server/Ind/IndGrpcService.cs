using ExchangeGateway.Contracts.V1;
using ExchangeGateway.Server.Audit;
using Grpc.Core;
using Microsoft.EntityFrameworkCore;

namespace ExchangeGateway.Server.Ind;

/// <summary>IndService: the IND follows travellers by V-number and reports their check-in.</summary>
internal sealed class IndGrpcService(GatewayStore store, ReportCheckInUseCase checkIn) : IndService.IndServiceBase
{
    [Allow(OrganisationRole.Ind)]
    [ProcessingActivity("Melden aanmelding IND")]
    public override Task<ReportCheckInResponse> ReportCheckIn(ReportCheckInRequest request, ServerCallContext context) =>
        checkIn.RunAsync(request, context);

    [Allow(OrganisationRole.Ind)]
    [ProcessingActivity("Raadplegen vreemdeling")]
    public override async Task<LookupTravellerResponse> LookupTraveller(LookupTravellerRequest request, ServerCallContext context)
    {
        var violations = new Violations();
        violations.VNumber("v_number", request.VNumber);
        violations.ThrowIfAny();

        var vNumber = request.VNumber;
        var rows = await store.ReadAsync((db, token) => (
            from traveller in db.Travellers.AsNoTracking()
            join arrival in db.Arrivals.AsNoTracking() on traveller.ArrivalId equals arrival.Id
            where traveller.VNumber == vNumber
            orderby arrival.Id descending
            // Only what the IND's record shows: the arrival's details blob (names, address) is not read.
            select new
            {
                traveller,
                arrival = new ArrivalEntity
                {
                    Id = arrival.Id,
                    CaseReference = "",
                    MunicipalityCode = arrival.MunicipalityCode,
                    AnnouncedBy = "",
                    Details = Array.Empty<byte>(),
                    Kind = arrival.Kind,
                    State = arrival.State,
                    AnnouncedAt = arrival.AnnouncedAt,
                    ExpectedArrivalDate = arrival.ExpectedArrivalDate,
                },
            })
            .Take(50)
            .ToListAsync(token), context.CancellationToken);
        if (rows.Count == 0)
        {
            throw GatewayErrors.NotFound("exchange.v1.Traveller", vNumber, "No arrival names this V-number.");
        }
        var response = new LookupTravellerResponse();
        response.Records.AddRange(rows.Select(row => IndRecords.Of(row.arrival, row.traveller)));
        return response;
    }
}
