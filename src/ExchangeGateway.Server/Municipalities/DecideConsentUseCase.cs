using ExchangeGateway.Contracts.V1;
using ExchangeGateway.Server.Arrivals;
using ExchangeGateway.Server.Deadlines;

namespace ExchangeGateway.Server.Municipalities;

/// <summary>The municipality decides on consent for a household that needs it (the household policy):
/// a decision is final; COA and the IND are told.</summary>
internal sealed class DecideConsentUseCase(GatewayStore store) : WriteUseCase<DecideConsentRequest, ArrivalResponse>(store)
{
    protected override void Validate(DecideConsentRequest request, Caller caller, Violations violations)
    {
        violations.ArrivalId(request.ArrivalId);
        switch (request.Decision)
        {
            case ConsentStatus.Granted:
                if (request.RefusalReason.Length > 0)
                {
                    violations.Add("refusal_reason", "is only given when the decision is REFUSED");
                }
                break;
            case ConsentStatus.Refused:
                violations.RequireText("refusal_reason", request.RefusalReason, 500);
                break;
            default:
                violations.Add("decision", "must be GRANTED or REFUSED");
                break;
        }
    }

    protected override async Task<ArrivalResponse> ExecuteAsync(DecideConsentRequest request, WriteContext write)
    {
        var arrival = await ArrivalWrites.LoadVisibleAsync(write.Db, write.Caller, CommonRules.CanonicalId(request.ArrivalId), write.CancellationToken);
        if (arrival.State != ArrivalState.AwaitingConsent)
        {
            var consent = ArrivalMapping.ConsentOf(arrival).Status;
            throw GatewayErrors.FailedPrecondition("CONSENT_STATE", "arrivals/" + arrival.Id, consent switch
            {
                ConsentStatus.Granted or ConsentStatus.Refused =>
                    $"Consent for this arrival was already decided ({consent.ToString().ToLowerInvariant()}); a decision is final. Ask COA to amend the arrival if the household changed.",
                _ when arrival.State is ArrivalState.Cancelled =>
                    "The arrival was cancelled; there is nothing to decide.",
                _ => $"This arrival does not need consent: the household policy lets a household of {arrival.Travellers.Count} travel without it.",
            });
        }
        var granted = request.Decision == ConsentStatus.Granted;
        arrival.ConsentStatus = request.Decision;
        arrival.ConsentDecidedAt = write.Now;
        arrival.ConsentRefusalReason = granted ? null : request.RefusalReason;
        if (granted)
        {
            ArrivalLifecycle.Enter(arrival, arrival.AcknowledgedAt is null ? ArrivalState.Announced : ArrivalState.Acknowledged);
            await DeadlineSchedule.ClearAsync(write, arrival, EscalationKind.ConsentOverdue);
        }
        else
        {
            await ArrivalLifecycle.CloseAsync(write, arrival, ArrivalState.ConsentRefused);
        }
        ArrivalLifecycle.Record(write, arrival, granted ? "consent-granted" : "consent-refused",
            granted
                ? $"Municipality {arrival.MunicipalityCode} consented to the household of {arrival.ConsentHouseholdSize}; the travellers may leave."
                : $"Municipality {arrival.MunicipalityCode} refused consent for the household of {arrival.ConsentHouseholdSize}; the arrival is closed.");
        var decided = new ConsentDecided
        {
            ArrivalId = arrival.Id,
            MunicipalityCode = arrival.MunicipalityCode,
            Decision = request.Decision,
            RefusalReason = arrival.ConsentRefusalReason ?? "",
            CaseReference = arrival.CaseReference,
        };
        ArrivalNotices.Tell(write, arrival, new Notice { ConsentDecided = decided });
        return ArrivalWrites.Response(arrival);
    }
}
