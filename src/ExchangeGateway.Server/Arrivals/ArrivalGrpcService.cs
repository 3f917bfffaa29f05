using ExchangeGateway.Contracts.V1;
using ExchangeGateway.Server.Audit;
using ExchangeGateway.Server.Deadlines;
using ExchangeGateway.Server.Errors;
using ExchangeGateway.Server.Hosting;
using ExchangeGateway.Server.Identity;
using ExchangeGateway.Server.Rules;
using ExchangeGateway.Server.Storage;
using ExchangeGateway.Server.Validation;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Microsoft.Extensions.Options;

namespace ExchangeGateway.Server.Arrivals;

/// <summary>ArrivalService: COA announces and follows arrivals.</summary>
internal sealed class ArrivalGrpcService(GatewayStore store, ArrivalDetailsValidator validator, TimeProvider time, IOptions<GatewayOptions> options)
    : ArrivalService.ArrivalServiceBase
{
    private ChainRulesOptions Rules => options.Value.Rules;

    [Allow(OrganisationRole.Coa)]
    [ProcessingActivity("Aankondigen aankomst")]
    public override Task<ArrivalResponse> AnnounceArrival(AnnounceArrivalRequest request, ServerCallContext context)
    {
        var violations = new Violations();
        violations.RequestId(request.RequestId);
        validator.Validate(violations, "arrival", request.Arrival);
        violations.ThrowIfAny();

        var household = RequireHouseholdPolicy(request.Arrival);

        // The whole change is built here, on the request thread; the writer only checks the travellers
        // against the open arrivals stored and inserts the rows.
        var caller = CallerInterceptor.CallerOf(context);
        var change = store.NewChange(caller);
        var details = request.Arrival;
        var arrival = new ArrivalEntity
        {
            Id = Guid.CreateVersion7(change.Now).ToString(),
            CaseReference = details.CaseReference,
            MunicipalityCode = details.MunicipalityCode,
            Kind = (int)details.Kind,
            AnnouncedBy = caller.Organisation.Id,
            AnnouncedAt = change.Now,
            ExpectedArrivalDate = ToDateOnly(details.ExpectedArrivalDate),
            Details = ArrivalMapping.Serialize(details),
            ConsentStatus = (int)ConsentStatus.NotRequired,
        };
        ArrivalLifecycle.Enter(arrival, ArrivalState.Announced);
        SyncTravellers(arrival, details);
        ArrivalWrites.Record(change, arrival, "announced",
            $"Announced to municipality {details.MunicipalityCode} with {details.Travellers.Count} traveller(s), expected {arrival.ExpectedArrivalDate:yyyy-MM-dd}.");
        if (household == HouseholdVerdict.NeedsConsent)
        {
            RequestConsent(change, arrival);
            arrival.Deadlines.Add(DeadlineSchedule.New(change.Now, arrival.Id, EscalationKind.ConsentOverdue, arrival.ConsentDecideBy!.Value));
        }
        AnnounceTo(change, arrival, details);
        var vNumbers = details.Travellers.Select(t => t.VNumber).ToList();
        return store.ExecuteAsync(caller, context.Method, request, request.RequestId, new PreparedChange<ArrivalResponse>(change, Response(arrival, details), async write =>
        {
            // The unique index on open V-numbers refuses a traveller of another open arrival; only a
            // run after such a refusal reads, to name the traveller.
            if (!write.FirstRun)
            {
                await RequireNotInOtherOpenArrivalAsync(write, vNumbers, arrivalId: null);
            }
            await write.Statements.InsertArrivalAsync(write.Connection, write.Transaction, arrival, write.CancellationToken);
        }), context.CancellationToken);
    }

    [Allow(OrganisationRole.Coa)]
    [ProcessingActivity("Wijzigen aankondiging")]
    public override Task<ArrivalResponse> AmendArrival(AmendArrivalRequest request, ServerCallContext context)
    {
        var violations = new Violations();
        violations.RequestId(request.RequestId);
        var arrivalId = violations.ArrivalId(request.ArrivalId);
        validator.Validate(violations, "arrival", request.Arrival);
        if (request.ExpectedVersion < 0)
        {
            violations.Add("expected_version", "must be 0 (no check) or a version the gateway returned");
        }
        violations.ThrowIfAny();
        var household = RequireHouseholdPolicy(request.Arrival);

        var caller = CallerInterceptor.CallerOf(context);
        return store.ExecuteAsync(caller, context.Method, request, request.RequestId, async write =>
        {
            var arrival = await ArrivalWrites.LoadVisibleAsync(write.Db, caller, arrivalId!, write.CancellationToken);
            ArrivalWrites.RequireState(arrival, "amend the arrival", ArrivalState.Announced, ArrivalState.AwaitingConsent, ArrivalState.Acknowledged);
            if (request.ExpectedVersion != 0 && request.ExpectedVersion != arrival.Version)
            {
                throw GatewayErrors.FailedPrecondition("VERSION_MISMATCH", "arrivals/" + arrival.Id,
                    $"The arrival is at version {arrival.Version}, not {request.ExpectedVersion}: someone changed it since you read it. Read it again and retry.");
            }
            var details = request.Arrival;
            await RequireNotInOtherOpenArrivalAsync(write, [.. details.Travellers.Select(t => t.VNumber)], arrival.Id);
            var previousMunicipality = arrival.MunicipalityCode;
            var moved = previousMunicipality != details.MunicipalityCode;

            arrival.CaseReference = details.CaseReference;
            arrival.MunicipalityCode = details.MunicipalityCode;
            arrival.Kind = (int)details.Kind;
            arrival.ExpectedArrivalDate = ToDateOnly(details.ExpectedArrivalDate);
            arrival.Details = ArrivalMapping.Serialize(details);
            SyncTravellers(arrival, details);

            if (moved)
            {
                // The old municipality is told it is off; the new one gets a fresh announcement and
                // must acknowledge it (and decide on consent) again.
                ArrivalLifecycle.Enter(arrival, ArrivalState.Announced);
                arrival.AcknowledgedAt = null;
                await UpdateConsentAsync(write, arrival, household, moved: true);
                ArrivalMoves.Move(write, arrival, previousMunicipality, details,
                    $"Moved from municipality {previousMunicipality} to {details.MunicipalityCode}.",
                    $"Moved to municipality {details.MunicipalityCode}.");
                FlagIfLate(write, arrival);
            }
            else
            {
                ArrivalWrites.Record(write, arrival, "amended", "Details amended.");
                write.Outbox.Add(FeedNames.Municipality(arrival.MunicipalityCode), arrival.Id, new Notice
                {
                    ArrivalAmended = new ArrivalAmended { ArrivalId = arrival.Id, Details = details, Version = arrival.Version },
                });
                write.Outbox.Add(FeedNames.Ind, arrival.Id, new Notice { TravellersAnnounced = ArrivalMoves.IndView(arrival, details) });
                await UpdateConsentAsync(write, arrival, household, moved: false);
                FlagIfLate(write, arrival);
            }
            return Response(arrival);
        }, context.CancellationToken);
    }

    [Allow(OrganisationRole.Coa)]
    [ProcessingActivity("Annuleren aankondiging")]
    public override Task<ArrivalResponse> CancelArrival(CancelArrivalRequest request, ServerCallContext context)
    {
        var violations = new Violations();
        violations.RequestId(request.RequestId);
        var arrivalId = violations.ArrivalId(request.ArrivalId);
        violations.RequireText("reason", request.Reason, 500);
        violations.ThrowIfAny();

        var caller = CallerInterceptor.CallerOf(context);
        return store.ExecuteAsync(caller, context.Method, request, request.RequestId, async write =>
        {
            var arrival = await ArrivalWrites.LoadVisibleAsync(write.Db, caller, arrivalId!, write.CancellationToken);
            ArrivalWrites.RequireState(arrival, "cancel the arrival", ArrivalState.Announced, ArrivalState.AwaitingConsent, ArrivalState.Acknowledged, ArrivalState.Departed);
            await DeadlineSchedule.ClearAllAsync(write, arrival);
            ArrivalLifecycle.Enter(arrival, ArrivalState.Cancelled);
            arrival.CancelledAt = write.Now;
            arrival.CancellationReason = request.Reason;
            ArrivalWrites.Record(write, arrival, "cancelled", "Cancelled by COA.");
            var cancelled = new ArrivalCancelled { ArrivalId = arrival.Id, MunicipalityCode = arrival.MunicipalityCode, Reason = request.Reason };
            write.Outbox.Add(FeedNames.Municipality(arrival.MunicipalityCode), arrival.Id, new Notice { ArrivalCancelled = cancelled });
            write.Outbox.Add(FeedNames.Ind, arrival.Id, new Notice { ArrivalCancelled = cancelled.Clone() });
            return Response(arrival);
        }, context.CancellationToken);
    }

    [Allow(OrganisationRole.Coa)]
    [ProcessingActivity("Melden vertrek")]
    public override Task<ArrivalResponse> ReportDeparture(ReportDepartureRequest request, ServerCallContext context)
    {
        var violations = new Violations();
        violations.RequestId(request.RequestId);
        var arrivalId = violations.ArrivalId(request.ArrivalId);
        violations.RecentPast("departed_at", request.DepartedAt, time);
        violations.ThrowIfAny();

        var caller = CallerInterceptor.CallerOf(context);
        return store.ExecuteAsync(caller, context.Method, request, request.RequestId, async write =>
        {
            var arrival = await ArrivalWrites.LoadVisibleAsync(write.Db, caller, arrivalId!, write.CancellationToken);
            RequireConsentGiven(arrival, "report departure");
            ArrivalWrites.RequireState(arrival, "report departure", ArrivalState.Announced, ArrivalState.Acknowledged);
            var departedAt = request.DepartedAt?.ToDateTime() ?? write.Now;
            ArrivalLifecycle.Enter(arrival, ArrivalState.Departed);
            arrival.DepartedAt = departedAt;
            ArrivalWrites.Record(write, arrival, "departed", "COA reported that the travellers left for the municipality.");
            write.Outbox.Add(FeedNames.Municipality(arrival.MunicipalityCode), arrival.Id, new Notice
            {
                TravellersDeparted = new TravellersDeparted
                {
                    ArrivalId = arrival.Id,
                    MunicipalityCode = arrival.MunicipalityCode,
                    DepartedAt = Timestamp.FromDateTime(departedAt),
                },
            });
            return Response(arrival);
        }, context.CancellationToken);
    }

    [Allow(OrganisationRole.Coa)]
    [ProcessingActivity("Melden aankomst")]
    public override Task<ArrivalResponse> ReportTravellersArrived(ReportTravellersArrivedRequest request, ServerCallContext context)
    {
        var violations = new Violations();
        violations.RequestId(request.RequestId);
        var arrivalId = violations.ArrivalId(request.ArrivalId);
        violations.RecentPast("arrived_at", request.ArrivedAt, time);
        violations.ThrowIfAny();

        var caller = CallerInterceptor.CallerOf(context);
        return store.ExecuteAsync(caller, context.Method, request, request.RequestId, async write =>
        {
            var arrival = await ArrivalWrites.LoadVisibleAsync(write.Db, caller, arrivalId!, write.CancellationToken);
            RequireConsentGiven(arrival, "report arrival");
            ArrivalWrites.RequireState(arrival, "report arrival", ArrivalState.Departed);
            var arrivedAt = request.ArrivedAt?.ToDateTime() ?? write.Now;
            if (arrivedAt < arrival.DepartedAt)
            {
                throw GatewayErrors.InvalidArgument("arrived_at", "must not be before the reported departure");
            }
            ArrivalLifecycle.Enter(arrival, ArrivalState.Arrived);
            arrival.ArrivedAt = arrivedAt;
            ArrivalWrites.Record(write, arrival, "arrived", "COA reported that the travellers reached the municipality.");
            var arrivedOn = AmsterdamCalendar.DateOf(DateTime.SpecifyKind(arrivedAt, DateTimeKind.Utc));
            await DeadlineSchedule.SetAsync(write, arrival, EscalationKind.RegistrationOverdue, arrivedOn.AddDays(Rules.RegistrationDays));
            if (ArrivalLifecycle.NeedsCheckIn(arrival) && arrival.Travellers.Any(t => t.CheckedInAt is null))
            {
                await DeadlineSchedule.SetAsync(write, arrival, EscalationKind.CheckInOverdue, arrivedOn.AddDays(Rules.CheckInDays));
            }
            write.Outbox.Add(FeedNames.Municipality(arrival.MunicipalityCode), arrival.Id, new Notice
            {
                TravellersArrived = new TravellersArrived
                {
                    ArrivalId = arrival.Id,
                    MunicipalityCode = arrival.MunicipalityCode,
                    ArrivedAt = Timestamp.FromDateTime(arrivedAt),
                },
            });
            return Response(arrival);
        }, context.CancellationToken);
    }

    [Allow(OrganisationRole.Coa, OrganisationRole.Municipality, OrganisationRole.ChainCoordination)]
    [ProcessingActivity("Raadplegen aankomst")]
    public override async Task<ArrivalResponse> GetArrival(GetArrivalRequest request, ServerCallContext context)
    {
        var violations = new Violations();
        var arrivalId = violations.ArrivalId(request.ArrivalId);
        violations.ThrowIfAny();
        var caller = CallerInterceptor.CallerOf(context);
        return await store.ReadAsync(async (db, token) =>
        {
            var arrival = await ArrivalWrites.LoadVisibleAsync(db, caller, arrivalId!, token);
            return Response(arrival);
        }, context.CancellationToken);
    }

    [Allow(OrganisationRole.Coa, OrganisationRole.Municipality, OrganisationRole.ChainCoordination)]
    [ProcessingActivity("Raadplegen aankomsten")]
    public override Task<ListArrivalsResponse> ListArrivals(ListArrivalsRequest request, ServerCallContext context)
    {
        var caller = CallerInterceptor.CallerOf(context);
        var query = ArrivalListQuery.Parse(request);
        return store.ReadAsync((db, token) => query.RunAsync(db, caller, token), context.CancellationToken);
    }

    /// <summary>One V-number in two open arrivals would announce one person to two places. This check
    /// gives the caller its reason; the unique index on the open V-numbers settles two instances that
    /// check at the same moment (the loser's unit runs again and gets here).</summary>
    private static async Task RequireNotInOtherOpenArrivalAsync(WriteContext write, List<string> vNumbers, string? arrivalId)
    {
        var clash = await write.Statements.FindOpenTravellerAsync(write.Connection, write.Transaction, vNumbers, arrivalId, write.CancellationToken);
        if (clash is not null)
        {
            var index = vNumbers.IndexOf(clash);
            throw GatewayErrors.FailedPrecondition("TRAVELLER_IN_OPEN_ARRIVAL", $"arrival.travellers[{index}].v_number",
                $"Traveller arrival.travellers[{index}] is already in another open arrival; cancel or complete that one first.");
        }
    }

    /// <summary>Announces the arrival at its municipality (with the consent request after it, when the
    /// household needs consent) and to the IND, and flags it when it comes later than the lead time.</summary>
    private void AnnounceTo(ChangeContext write, ArrivalEntity arrival, ArrivalDetails details)
    {
        var municipality = FeedNames.Municipality(details.MunicipalityCode);
        var consent = (ConsentStatus)arrival.ConsentStatus;
        write.Outbox.Add(municipality, arrival.Id, new Notice
        {
            ArrivalAnnounced = new ArrivalAnnounced
            {
                ArrivalId = arrival.Id,
                Details = details,
                LateAnnouncement = arrival.LateAnnouncement || IsLate(write, arrival),
                Consent = consent,
            },
        });
        if (consent == ConsentStatus.Requested)
        {
            write.Outbox.Add(municipality, arrival.Id, ArrivalMoves.ConsentRequest(arrival));
        }
        write.Outbox.Add(FeedNames.Ind, arrival.Id, new Notice { TravellersAnnounced = ArrivalMoves.IndView(arrival, details) });
        FlagIfLate(write, arrival);
    }

    private bool IsLate(ChangeContext write, ArrivalEntity arrival) =>
        LeadTime.IsLate(Rules, AmsterdamCalendar.DateOf(DateTime.SpecifyKind(write.Now, DateTimeKind.Utc)), arrival.ExpectedArrivalDate);

    /// <summary>Flags and escalates an announcement (or an amendment bringing the date forward) that
    /// comes later than the minimum lead time; once per arrival.</summary>
    private void FlagIfLate(ChangeContext write, ArrivalEntity arrival)
    {
        if (arrival.LateAnnouncement || !IsLate(write, arrival))
        {
            return;
        }
        arrival.LateAnnouncement = true;
        var announcedOn = AmsterdamCalendar.DateOf(DateTime.SpecifyKind(write.Now, DateTimeKind.Utc));
        Escalations.Raise(write, arrival, EscalationKind.LateAnnouncement, LeadTime.Describe(Rules, announcedOn, arrival.ExpectedArrivalDate));
    }

    /// <summary>Larger households than the policy allows are refused before any work is done.</summary>
    private HouseholdVerdict RequireHouseholdPolicy(ArrivalDetails details)
    {
        var verdict = HouseholdPolicy.Judge(Rules, details.Kind, details.Travellers.Count);
        if (verdict == HouseholdVerdict.TooLarge)
        {
            throw GatewayErrors.FailedPrecondition("HOUSEHOLD_POLICY", "arrival.travellers", HouseholdPolicy.TooLargeReason(Rules, details.Travellers.Count));
        }
        return verdict;
    }

    /// <summary>Asks the municipality for consent for the household as it is now.</summary>
    private async Task RequestConsentAsync(WriteContext write, ArrivalEntity arrival)
    {
        RequestConsent(write, arrival);
        await DeadlineSchedule.SetAsync(write, arrival, EscalationKind.ConsentOverdue, arrival.ConsentDecideBy!.Value);
    }

    /// <summary>Asks for consent on the arrival's rows; the caller stores its deadline.</summary>
    private void RequestConsent(ChangeContext write, ArrivalEntity arrival)
    {
        var today = AmsterdamCalendar.DateOf(DateTime.SpecifyKind(write.Now, DateTimeKind.Utc));
        ArrivalLifecycle.Enter(arrival, ArrivalState.AwaitingConsent);
        arrival.ConsentStatus = (int)ConsentStatus.Requested;
        arrival.ConsentHouseholdSize = arrival.Travellers.Count;
        arrival.ConsentRequestedAt = write.Now;
        arrival.ConsentDecideBy = today.AddDays(Rules.ConsentDecisionDays);
        arrival.ConsentDecidedAt = null;
        arrival.ConsentRefusalReason = null;
        ArrivalWrites.Record(write, arrival, "consent-requested",
            $"Consent of municipality {arrival.MunicipalityCode} requested for a household of {arrival.ConsentHouseholdSize}, to be decided by {arrival.ConsentDecideBy:yyyy-MM-dd}.");
    }

    /// <summary>After an amendment: consent is asked again when the household now needs it and has
    /// no consent covering it (a move always needs the new municipality's); it lapses when the
    /// household no longer needs it.</summary>
    private async Task UpdateConsentAsync(WriteContext write, ArrivalEntity arrival, HouseholdVerdict household, bool moved)
    {
        var consent = (ConsentStatus)arrival.ConsentStatus;
        if (household == HouseholdVerdict.NeedsConsent)
        {
            var size = arrival.Travellers.Count;
            var covered = !moved && (consent == ConsentStatus.Granted && arrival.ConsentHouseholdSize >= size
                || consent == ConsentStatus.Requested && arrival.ConsentHouseholdSize == size);
            if (!covered)
            {
                await RequestConsentAsync(write, arrival);
                if (!moved)
                {
                    write.Outbox.Add(FeedNames.Municipality(arrival.MunicipalityCode), arrival.Id, ArrivalMoves.ConsentRequest(arrival));
                }
            }
            return;
        }
        if (consent is ConsentStatus.Requested or ConsentStatus.Granted)
        {
            arrival.ConsentStatus = (int)ConsentStatus.NotRequired;
            await DeadlineSchedule.ClearAsync(write, arrival, EscalationKind.ConsentOverdue);
            if ((ArrivalState)arrival.State == ArrivalState.AwaitingConsent)
            {
                ArrivalLifecycle.Enter(arrival, arrival.AcknowledgedAt is null ? ArrivalState.Announced : ArrivalState.Acknowledged);
            }
            ArrivalWrites.Record(write, arrival, "consent-lapsed", $"A household of {arrival.Travellers.Count} no longer needs the municipality's consent.");
        }
    }

    /// <summary>COA may not send a household that needs consent before the municipality gave it.</summary>
    private static void RequireConsentGiven(ArrivalEntity arrival, string action)
    {
        if ((ArrivalState)arrival.State == ArrivalState.AwaitingConsent)
        {
            throw GatewayErrors.FailedPrecondition("CONSENT_REQUIRED", "arrivals/" + arrival.Id,
                $"Cannot {action}: this household of {arrival.ConsentHouseholdSize} needs the consent of municipality {arrival.MunicipalityCode}, " +
                $"which has not decided yet (due by {arrival.ConsentDecideBy:yyyy-MM-dd}). The travellers may not leave before it consents.");
        }
    }

    /// <summary>Keeps the status of travellers who stay (matched by V-number), adds new ones and
    /// drops those no longer listed.</summary>
    private static void SyncTravellers(ArrivalEntity arrival, ArrivalDetails details)
    {
        var wanted = details.Travellers.Select((t, i) => (t.VNumber, Position: i)).ToDictionary(t => t.VNumber, t => t.Position);
        arrival.Travellers.RemoveAll(t => !wanted.ContainsKey(t.VNumber));
        foreach (var (vNumber, position) in wanted)
        {
            var existing = arrival.Travellers.FirstOrDefault(t => t.VNumber == vNumber);
            if (existing is null)
            {
                arrival.Travellers.Add(new TravellerEntity
                {
                    ArrivalId = arrival.Id,
                    VNumber = vNumber,
                    OpenVNumber = vNumber, // announced and amended arrivals are open
                    Position = position,
                    RegistrationStatus = (int)RegistrationStatus.NotReported,
                });
            }
            else
            {
                existing.Position = position;
            }
        }
    }

    private static DateOnly ToDateOnly(Date date) => new(date.Year, date.Month, date.Day);

    private static ArrivalResponse Response(ArrivalEntity arrival, ArrivalDetails? details = null) =>
        new() { Arrival = ArrivalMapping.ToContract(arrival, withHistory: true, details) };
}
