using ExchangeGateway.Contracts.V1;
using ExchangeGateway.Server.Deadlines;
using ExchangeGateway.Server.Rules;

namespace ExchangeGateway.Server.Arrivals;

/// <summary>The municipality's consent for a household that needs it, as announcements and amendments
/// ask for it and as COA must wait for it (the household policy); the decision itself is
/// <see cref="Municipalities.DecideConsentUseCase"/>.</summary>
internal static class ArrivalConsent
{
    /// <summary>Asks for consent on the arrival's rows; the caller stores its deadline.</summary>
    public static void Request(ChangeContext write, ArrivalEntity arrival, ChainRulesOptions rules)
    {
        var today = AmsterdamCalendar.DateOf(DateTime.SpecifyKind(write.Now, DateTimeKind.Utc));
        ArrivalLifecycle.Enter(arrival, ArrivalState.AwaitingConsent);
        arrival.ConsentStatus = ConsentStatus.Requested;
        arrival.ConsentHouseholdSize = arrival.Travellers.Count;
        arrival.ConsentRequestedAt = write.Now;
        arrival.ConsentDecideBy = today.AddDays(rules.ConsentDecisionDays);
        arrival.ConsentDecidedAt = null;
        arrival.ConsentRefusalReason = null;
        ArrivalLifecycle.Record(write, arrival, "consent-requested",
            $"Consent of municipality {arrival.MunicipalityCode} requested for a household of {arrival.ConsentHouseholdSize}, to be decided by {arrival.ConsentDecideBy:yyyy-MM-dd}.");
    }

    /// <summary>After an amendment: consent is asked again when the household now needs it and has
    /// no consent covering it (a move always needs the new municipality's); it lapses when the
    /// household no longer needs it.</summary>
    public static async Task UpdateAsync(WriteContext write, ArrivalEntity arrival, HouseholdVerdict household, bool moved, ChainRulesOptions rules)
    {
        var consent = arrival.ConsentStatus;
        if (household == HouseholdVerdict.NeedsConsent)
        {
            var size = arrival.Travellers.Count;
            var covered = !moved && (consent == ConsentStatus.Granted && arrival.ConsentHouseholdSize >= size
                || consent == ConsentStatus.Requested && arrival.ConsentHouseholdSize == size);
            if (!covered)
            {
                Request(write, arrival, rules);
                await DeadlineSchedule.SetAsync(write, arrival, EscalationKind.ConsentOverdue, arrival.ConsentDecideBy!.Value);
                if (!moved)
                {
                    ArrivalNotices.Tell(write, arrival, ArrivalMoves.ConsentRequest(arrival));
                }
            }
            return;
        }
        if (consent is ConsentStatus.Requested or ConsentStatus.Granted)
        {
            arrival.ConsentStatus = ConsentStatus.NotRequired;
            await DeadlineSchedule.ClearAsync(write, arrival, EscalationKind.ConsentOverdue);
            if (arrival.State == ArrivalState.AwaitingConsent)
            {
                ArrivalLifecycle.Enter(arrival, arrival.AcknowledgedAt is null ? ArrivalState.Announced : ArrivalState.Acknowledged);
            }
            ArrivalLifecycle.Record(write, arrival, "consent-lapsed", $"A household of {arrival.Travellers.Count} no longer needs the municipality's consent.");
        }
    }

    /// <summary>COA may not send a household that needs consent before the municipality gave it.</summary>
    public static void RequireGiven(ArrivalEntity arrival, string action)
    {
        if (arrival.State == ArrivalState.AwaitingConsent)
        {
            throw GatewayErrors.FailedPrecondition("CONSENT_REQUIRED", "arrivals/" + arrival.Id,
                $"Cannot {action}: this household of {arrival.ConsentHouseholdSize} needs the consent of municipality {arrival.MunicipalityCode}, " +
                $"which has not decided yet (due by {arrival.ConsentDecideBy:yyyy-MM-dd}). The travellers may not leave before it consents.");
        }
    }
}
