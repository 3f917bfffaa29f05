using ExchangeGateway.Contracts.V1;
using ExchangeGateway.Server.Arrivals;

namespace ExchangeGateway.Server.Ind;

/// <summary>What the IND sees of a traveller in an arrival: where and when, the BRP outcome and the
/// BSN, never the household's address or names.</summary>
internal static class IndRecords
{
    public static TravellerRecord Of(ArrivalEntity arrival, TravellerEntity traveller) => new()
    {
        ArrivalId = arrival.Id,
        MunicipalityCode = arrival.MunicipalityCode,
        ArrivalState = arrival.State,
        AnnouncedAt = ArrivalMapping.ToTimestamp(arrival.AnnouncedAt),
        ExpectedArrivalDate = ArrivalMapping.ToDate(arrival.ExpectedArrivalDate),
        RegistrationStatus = traveller.RegistrationStatus,
        RegisteredOn = ArrivalMapping.ToDate(traveller.RegisteredOn),
        Bsn = traveller.Bsn ?? "",
        CheckedInAt = ArrivalMapping.ToTimestamp(traveller.CheckedInAt),
        TravellerState = ArrivalLifecycle.StateOf(arrival, traveller),
    };
}
