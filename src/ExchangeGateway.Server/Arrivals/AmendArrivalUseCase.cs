using ExchangeGateway.Contracts.V1;
using ExchangeGateway.Server.Rules;
using Microsoft.Extensions.Options;

namespace ExchangeGateway.Server.Arrivals;

/// <summary>COA amends an open arrival: new details for the same municipality, or a move to another.</summary>
internal sealed class AmendArrivalUseCase(GatewayStore store, ArrivalDetailsValidator validator, IOptions<GatewayOptions> options)
    : WriteUseCase<AmendArrivalRequest, ArrivalResponse>(store)
{
    private ChainRulesOptions Rules => options.Value.Rules;

    protected override void Validate(AmendArrivalRequest request, Caller caller, Violations violations)
    {
        violations.ArrivalId(request.ArrivalId);
        validator.Validate(violations, "arrival", request.Arrival);
        if (request.ExpectedVersion < 0)
        {
            violations.Add("expected_version", "must be 0 (no check) or a version the gateway returned");
        }
    }

    protected override void Check(AmendArrivalRequest request, Caller caller) => HouseholdPolicy.Require(Rules, request.Arrival);

    protected override async Task<ArrivalResponse> ExecuteAsync(AmendArrivalRequest request, WriteContext write)
    {
        var arrival = await ArrivalWrites.LoadVisibleAsync(write.Db, write.Caller, CommonRules.CanonicalId(request.ArrivalId), write.CancellationToken);
        ArrivalWrites.RequireState(arrival, "amend the arrival", ArrivalState.Announced, ArrivalState.AwaitingConsent, ArrivalState.Acknowledged);
        if (request.ExpectedVersion != 0 && request.ExpectedVersion != arrival.Version)
        {
            throw GatewayErrors.FailedPrecondition("VERSION_MISMATCH", "arrivals/" + arrival.Id,
                $"The arrival is at version {arrival.Version}, not {request.ExpectedVersion}: someone changed it since you read it. Read it again and retry.");
        }
        var details = request.Arrival;
        var household = HouseholdPolicy.Judge(Rules, details.Kind, details.Travellers.Count);
        await ArrivalWrites.RequireNotInOtherOpenArrivalAsync(write, [.. details.Travellers.Select(t => t.VNumber)], arrival.Id);
        var previousMunicipality = arrival.MunicipalityCode;
        var moved = previousMunicipality != details.MunicipalityCode;

        arrival.CaseReference = details.CaseReference;
        arrival.MunicipalityCode = details.MunicipalityCode;
        arrival.Kind = details.Kind;
        arrival.ExpectedArrivalDate = ArrivalMapping.ToDateOnly(details.ExpectedArrivalDate);
        arrival.Details = ArrivalMapping.Serialize(details);
        ArrivalWrites.SyncTravellers(arrival, details);

        if (moved)
        {
            // The old municipality is told it is off; the new one gets a fresh announcement and
            // must acknowledge it (and decide on consent) again.
            ArrivalLifecycle.Enter(arrival, ArrivalState.Announced);
            arrival.AcknowledgedAt = null;
            await ArrivalConsent.UpdateAsync(write, arrival, household, moved: true, Rules);
            ArrivalMoves.Move(write, arrival, previousMunicipality, details,
                $"Moved from municipality {previousMunicipality} to {details.MunicipalityCode}.",
                $"Moved to municipality {details.MunicipalityCode}.");
        }
        else
        {
            ArrivalLifecycle.Record(write, arrival, "amended", "Details amended.");
            ArrivalNotices.Tell(write, arrival, new Notice
            {
                ArrivalAmended = new ArrivalAmended { ArrivalId = arrival.Id, Details = details, Version = arrival.Version },
            });
            ArrivalNotices.Tell(write, arrival, new Notice { TravellersAnnounced = ArrivalMoves.IndView(arrival, details) });
            await ArrivalConsent.UpdateAsync(write, arrival, household, moved: false, Rules);
        }
        LateAnnouncements.FlagIfLate(write, arrival, Rules);
        return ArrivalWrites.Response(arrival);
    }
}
