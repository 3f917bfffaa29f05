using ExchangeGateway.Contracts.V1;

namespace ExchangeGateway.Server.Arrivals;

/// <summary>COA cancels an arrival that has not arrived; the municipality and the IND are told.</summary>
internal sealed class CancelArrivalUseCase(GatewayStore store) : WriteUseCase<CancelArrivalRequest, ArrivalResponse>(store)
{
    protected override void Validate(CancelArrivalRequest request, Caller caller, Violations violations)
    {
        violations.ArrivalId(request.ArrivalId);
        violations.RequireText("reason", request.Reason, 500);
    }

    protected override async Task<ArrivalResponse> ExecuteAsync(CancelArrivalRequest request, WriteContext write)
    {
        var arrival = await ArrivalWrites.LoadVisibleAsync(write.Db, write.Caller, CommonRules.CanonicalId(request.ArrivalId), write.CancellationToken);
        ArrivalWrites.RequireState(arrival, "cancel the arrival", ArrivalState.Announced, ArrivalState.AwaitingConsent, ArrivalState.Acknowledged, ArrivalState.Departed);
        await ArrivalLifecycle.CloseAsync(write, arrival, ArrivalState.Cancelled);
        arrival.CancelledAt = write.Now;
        arrival.CancellationReason = request.Reason;
        ArrivalLifecycle.Record(write, arrival, "cancelled", "Cancelled by COA.");
        var cancelled = new ArrivalCancelled { ArrivalId = arrival.Id, MunicipalityCode = arrival.MunicipalityCode, Reason = request.Reason };
        ArrivalNotices.Tell(write, arrival, new Notice { ArrivalCancelled = cancelled });
        return ArrivalWrites.Response(arrival);
    }
}
