using ExchangeGateway.Contracts.V1;
using ExchangeGateway.Server.Errors;
using ExchangeGateway.Server.Identity;
using ExchangeGateway.Server.Rules;
using ExchangeGateway.Server.Storage;
using ExchangeGateway.Server.Validation;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Microsoft.EntityFrameworkCore;

namespace ExchangeGateway.Server.Arrivals;

/// <summary>ArrivalService: COA announces and follows arrivals.</summary>
internal sealed class ArrivalGrpcService(GatewayStore store, ArrivalDetailsValidator validator, TimeProvider time)
    : ArrivalService.ArrivalServiceBase
{
    public override Task<ArrivalResponse> AnnounceArrival(AnnounceArrivalRequest request, ServerCallContext context)
    {
        var violations = new Violations();
        violations.RequestId(request.RequestId);
        validator.Validate(violations, "arrival", request.Arrival);
        violations.ThrowIfAny();

        var caller = CallerInterceptor.CallerOf(context);
        return store.ExecuteAsync(caller, context.Method, request, request.RequestId, async write =>
        {
            var details = request.Arrival;
            await RequireNotInOtherOpenArrivalAsync(write, details, arrivalId: null);
            var arrival = new ArrivalEntity
            {
                Id = Guid.CreateVersion7(time.GetUtcNow()).ToString(),
                CaseReference = details.CaseReference,
                MunicipalityCode = details.MunicipalityCode,
                Kind = (int)details.Kind,
                State = (int)ArrivalState.Announced,
                AnnouncedBy = caller.Organisation.Id,
                AnnouncedAt = write.Now,
                ExpectedArrivalDate = ToDateOnly(details.ExpectedArrivalDate),
                Details = ArrivalMapping.Serialize(details),
            };
            SyncTravellers(arrival, details);
            ArrivalWrites.Record(write, arrival, "announced",
                $"Announced to municipality {details.MunicipalityCode} with {details.Travellers.Count} traveller(s), expected {details.ExpectedArrivalDate.Year:D4}-{details.ExpectedArrivalDate.Month:D2}-{details.ExpectedArrivalDate.Day:D2}.");
            write.Db.Arrivals.Add(arrival);
            AnnounceTo(write, arrival, details);
            return Response(arrival);
        }, context.CancellationToken);
    }

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

        var caller = CallerInterceptor.CallerOf(context);
        return store.ExecuteAsync(caller, context.Method, request, request.RequestId, async write =>
        {
            var arrival = await ArrivalWrites.LoadVisibleAsync(write.Db, caller, arrivalId!, write.CancellationToken);
            ArrivalWrites.RequireState(arrival, "amend the arrival", ArrivalState.Announced, ArrivalState.Acknowledged);
            if (request.ExpectedVersion != 0 && request.ExpectedVersion != arrival.Version)
            {
                throw GatewayErrors.FailedPrecondition("VERSION_MISMATCH", "arrivals/" + arrival.Id,
                    $"The arrival is at version {arrival.Version}, not {request.ExpectedVersion}: someone changed it since you read it. Read it again and retry.");
            }
            var details = request.Arrival;
            await RequireNotInOtherOpenArrivalAsync(write, details, arrival.Id);
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
                // must acknowledge it again.
                ArrivalMoves.Move(write, arrival, previousMunicipality, details,
                    $"Moved from municipality {previousMunicipality} to {details.MunicipalityCode}.",
                    $"Moved to municipality {details.MunicipalityCode}.");
            }
            else
            {
                ArrivalWrites.Record(write, arrival, "amended", "Details amended.");
                write.Outbox.Add(FeedNames.Municipality(arrival.MunicipalityCode), arrival.Id, new Notice
                {
                    ArrivalAmended = new ArrivalAmended { ArrivalId = arrival.Id, Details = details, Version = arrival.Version },
                });
                write.Outbox.Add(FeedNames.Ind, arrival.Id, new Notice { TravellersAnnounced = IndView(arrival, details) });
            }
            return Response(arrival);
        }, context.CancellationToken);
    }

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
            ArrivalWrites.RequireState(arrival, "cancel the arrival", ArrivalState.Announced, ArrivalState.Acknowledged, ArrivalState.Departed);
            arrival.State = (int)ArrivalState.Cancelled;
            arrival.CancelledAt = write.Now;
            arrival.CancellationReason = request.Reason;
            ArrivalWrites.Record(write, arrival, "cancelled", "Cancelled by COA.");
            var cancelled = new ArrivalCancelled { ArrivalId = arrival.Id, MunicipalityCode = arrival.MunicipalityCode, Reason = request.Reason };
            write.Outbox.Add(FeedNames.Municipality(arrival.MunicipalityCode), arrival.Id, new Notice { ArrivalCancelled = cancelled });
            write.Outbox.Add(FeedNames.Ind, arrival.Id, new Notice { ArrivalCancelled = cancelled.Clone() });
            return Response(arrival);
        }, context.CancellationToken);
    }

    public override Task<ArrivalResponse> ReportDeparture(ReportDepartureRequest request, ServerCallContext context)
    {
        var violations = new Violations();
        violations.RequestId(request.RequestId);
        var arrivalId = violations.ArrivalId(request.ArrivalId);
        NotInFuture(violations, "departed_at", request.DepartedAt);
        violations.ThrowIfAny();

        var caller = CallerInterceptor.CallerOf(context);
        return store.ExecuteAsync(caller, context.Method, request, request.RequestId, async write =>
        {
            var arrival = await ArrivalWrites.LoadVisibleAsync(write.Db, caller, arrivalId!, write.CancellationToken);
            ArrivalWrites.RequireState(arrival, "report departure", ArrivalState.Announced, ArrivalState.Acknowledged);
            var departedAt = request.DepartedAt?.ToDateTime() ?? write.Now;
            arrival.State = (int)ArrivalState.Departed;
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

    public override Task<ArrivalResponse> ReportTravellersArrived(ReportTravellersArrivedRequest request, ServerCallContext context)
    {
        var violations = new Violations();
        violations.RequestId(request.RequestId);
        var arrivalId = violations.ArrivalId(request.ArrivalId);
        NotInFuture(violations, "arrived_at", request.ArrivedAt);
        violations.ThrowIfAny();

        var caller = CallerInterceptor.CallerOf(context);
        return store.ExecuteAsync(caller, context.Method, request, request.RequestId, async write =>
        {
            var arrival = await ArrivalWrites.LoadVisibleAsync(write.Db, caller, arrivalId!, write.CancellationToken);
            ArrivalWrites.RequireState(arrival, "report arrival", ArrivalState.Departed);
            var arrivedAt = request.ArrivedAt?.ToDateTime() ?? write.Now;
            if (arrivedAt < arrival.DepartedAt)
            {
                throw GatewayErrors.InvalidArgument("arrived_at", "must not be before the reported departure");
            }
            arrival.State = (int)ArrivalState.Arrived;
            arrival.ArrivedAt = arrivedAt;
            ArrivalWrites.Record(write, arrival, "arrived", "COA reported that the travellers reached the municipality.");
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

    public override Task<ListArrivalsResponse> ListArrivals(ListArrivalsRequest request, ServerCallContext context)
    {
        var caller = CallerInterceptor.CallerOf(context);
        var query = ArrivalListQuery.Parse(request);
        return store.ReadAsync((db, token) => query.RunAsync(db, caller, token), context.CancellationToken);
    }

    /// <summary>One V-number in two open arrivals would announce one person to two places.</summary>
    private static async Task RequireNotInOtherOpenArrivalAsync(WriteContext write, ArrivalDetails details, string? arrivalId)
    {
        var vNumbers = details.Travellers.Select(t => t.VNumber).ToList();
        var openStates = ArrivalLifecycle.Open.Cast<int>().ToList();
        var clash = await (
            from traveller in write.Db.Travellers
            join arrival in write.Db.Arrivals on traveller.ArrivalId equals arrival.Id
            where vNumbers.Contains(traveller.VNumber) && arrival.Id != arrivalId && openStates.Contains(arrival.State)
            select traveller.VNumber).FirstOrDefaultAsync(write.CancellationToken);
        if (clash is not null)
        {
            var index = vNumbers.IndexOf(clash);
            throw GatewayErrors.FailedPrecondition("TRAVELLER_IN_OPEN_ARRIVAL", $"arrival.travellers[{index}].v_number",
                $"Traveller arrival.travellers[{index}] is already in another open arrival; cancel or complete that one first.");
        }
    }

    private static void AnnounceTo(WriteContext write, ArrivalEntity arrival, ArrivalDetails details)
    {
        write.Outbox.Add(FeedNames.Municipality(details.MunicipalityCode), arrival.Id, new Notice
        {
            ArrivalAnnounced = new ArrivalAnnounced { ArrivalId = arrival.Id, Details = details },
        });
        write.Outbox.Add(FeedNames.Ind, arrival.Id, new Notice { TravellersAnnounced = IndView(arrival, details) });
    }

    /// <summary>What the IND needs of an announcement: who is expected where and when, no more.</summary>
    private static TravellersAnnounced IndView(ArrivalEntity arrival, ArrivalDetails details)
    {
        var view = new TravellersAnnounced
        {
            ArrivalId = arrival.Id,
            MunicipalityCode = details.MunicipalityCode,
            Kind = details.Kind,
            ExpectedArrivalDate = details.ExpectedArrivalDate,
        };
        view.VNumbers.AddRange(details.Travellers.Select(t => t.VNumber));
        return view;
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

    private void NotInFuture(Violations violations, string field, Timestamp? timestamp)
    {
        if (timestamp is null)
        {
            return;
        }
        if (timestamp.Seconds is < 0 or > 253_402_300_799 || timestamp.Nanos is < 0 or > 999_999_999)
        {
            violations.Add(field, "is not a valid time");
        }
        else if (timestamp.ToDateTimeOffset() > time.GetUtcNow().AddMinutes(5))
        {
            violations.Add(field, "must not be in the future");
        }
        else if (AmsterdamCalendar.DateOf(timestamp.ToDateTimeOffset()) < AmsterdamCalendar.Today(time).AddYears(-1))
        {
            violations.Add(field, "must be within the last year");
        }
    }

    private static DateOnly ToDateOnly(Date date) => new(date.Year, date.Month, date.Day);

    private static ArrivalResponse Response(ArrivalEntity arrival) => new() { Arrival = ArrivalMapping.ToContract(arrival, withHistory: true) };
}
