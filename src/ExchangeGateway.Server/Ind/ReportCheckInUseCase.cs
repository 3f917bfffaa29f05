using ExchangeGateway.Contracts.V1;
using ExchangeGateway.Server.Arrivals;
using ExchangeGateway.Server.Deadlines;
using ExchangeGateway.Server.Rules;
using Google.Protobuf.WellKnownTypes;
using Microsoft.EntityFrameworkCore;

namespace ExchangeGateway.Server.Ind;

/// <summary>The IND reports that a nareiziger checked in and received the residence document; the
/// municipality and COA are told, and the arrival completes when nothing else is open.</summary>
internal sealed class ReportCheckInUseCase(GatewayStore store, TimeProvider time) : WriteUseCase<ReportCheckInRequest, ReportCheckInResponse>(store)
{
    protected override void Validate(ReportCheckInRequest request, Caller caller, Violations violations)
    {
        violations.VNumber("v_number", request.VNumber);
        violations.RecentPast("checked_in_at", request.CheckedInAt, time);
    }

    protected override async Task<ReportCheckInResponse> ExecuteAsync(ReportCheckInRequest request, WriteContext write)
    {
        var vNumber = request.VNumber;
        var open = ArrivalLifecycle.Open;
        // A V-number is in one open arrival at most (AnnounceArrival refuses a second).
        var arrival = await write.Db.Arrivals
            .Include(a => a.Travellers)
            .Include(a => a.History)
            .AsSplitQuery()
            .FirstOrDefaultAsync(a => open.Contains(a.State) && a.Travellers.Any(t => t.VNumber == vNumber), write.CancellationToken)
            ?? throw GatewayErrors.NotFound("exchange.v1.Traveller", vNumber, "No open arrival names this V-number.");
        if (!ArrivalLifecycle.NeedsCheckIn(arrival))
        {
            throw GatewayErrors.FailedPrecondition("CHECK_IN_NOT_APPLICABLE", "v_number",
                "The traveller's open arrival is not a family reunification; the gateway follows the IND check-in only for nareizigers.");
        }
        if (arrival.State == ArrivalState.AwaitingConsent)
        {
            throw GatewayErrors.FailedPrecondition("CONSENT_REQUIRED", "v_number",
                "The traveller's household still waits for the municipality's consent; it cannot have travelled yet.");
        }
        var traveller = arrival.Travellers.Single(t => t.VNumber == vNumber);
        if (traveller.CheckedInAt is { } earlier)
        {
            throw GatewayErrors.FailedPrecondition("ALREADY_CHECKED_IN", "v_number",
                $"The traveller's check-in was already reported ({AmsterdamCalendar.DateOf(DateTime.SpecifyKind(earlier, DateTimeKind.Utc)):yyyy-MM-dd}).");
        }
        var checkedInAt = request.CheckedInAt?.ToDateTime() ?? write.Now;
        traveller.CheckedInAt = checkedInAt;
        var everyone = arrival.Travellers.All(t => t.CheckedInAt is not null);
        if (everyone)
        {
            await DeadlineSchedule.ClearAsync(write, arrival, EscalationKind.CheckInOverdue);
        }
        var complete = arrival.State == ArrivalState.Arrived && ArrivalLifecycle.IsComplete(arrival);
        if (complete)
        {
            await ArrivalLifecycle.CloseAsync(write, arrival, ArrivalState.Completed);
        }
        var checkedIn = arrival.Travellers.Count(t => t.CheckedInAt is not null);
        ArrivalLifecycle.Record(write, arrival, "checked-in",
            $"The IND reported a check-in ({checkedIn} of {arrival.Travellers.Count} traveller(s) checked in)" + (complete ? "; the arrival is complete." : "."));
        var notice = new TravellerCheckedIn
        {
            ArrivalId = arrival.Id,
            MunicipalityCode = arrival.MunicipalityCode,
            VNumber = vNumber,
            CheckedInAt = Timestamp.FromDateTime(DateTime.SpecifyKind(checkedInAt, DateTimeKind.Utc)),
        };
        ArrivalNotices.Tell(write, arrival, new Notice { TravellerCheckedIn = notice });
        return new ReportCheckInResponse { Record = IndRecords.Of(arrival, traveller) };
    }
}
