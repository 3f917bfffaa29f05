using ExchangeGateway.Contracts.V1;
using ExchangeGateway.Server.Deadlines;
using ExchangeGateway.Server.Rules;
using Microsoft.Extensions.Options;

namespace ExchangeGateway.Server.Arrivals;

/// <summary>COA announces an arrival to its municipality (and the IND): the write path's hot call.
/// Unlike the other use cases its change is built on the request thread; the writer only checks the
/// travellers against the open arrivals stored and inserts the rows.</summary>
internal sealed class AnnounceArrivalUseCase(GatewayStore store, ArrivalDetailsValidator validator, IOptions<GatewayOptions> options)
    : UseCase<AnnounceArrivalRequest, ArrivalResponse>
{
    private ChainRulesOptions Rules => options.Value.Rules;

    protected override void Validate(AnnounceArrivalRequest request, Caller caller, Violations violations) =>
        validator.Validate(violations, "arrival", request.Arrival);

    protected override void Check(AnnounceArrivalRequest request, Caller caller) => HouseholdPolicy.Require(Rules, request.Arrival);

    protected override Task<ArrivalResponse> SubmitAsync(AnnounceArrivalRequest request, Caller caller, string method, CancellationToken cancellationToken)
    {
        var change = store.NewChange(caller);
        var details = request.Arrival;
        var arrival = new ArrivalEntity
        {
            Id = Guid.CreateVersion7(change.Now).ToString(),
            CaseReference = details.CaseReference,
            MunicipalityCode = details.MunicipalityCode,
            Kind = details.Kind,
            AnnouncedBy = caller.Organisation.Id,
            AnnouncedAt = change.Now,
            ExpectedArrivalDate = ArrivalMapping.ToDateOnly(details.ExpectedArrivalDate),
            Details = ArrivalMapping.Serialize(details),
            ConsentStatus = ConsentStatus.NotRequired,
        };
        ArrivalLifecycle.Enter(arrival, ArrivalState.Announced);
        ArrivalWrites.SyncTravellers(arrival, details);
        ArrivalLifecycle.Record(change, arrival, "announced",
            $"Announced to municipality {details.MunicipalityCode} with {details.Travellers.Count} traveller(s), expected {arrival.ExpectedArrivalDate:yyyy-MM-dd}.");
        if (HouseholdPolicy.Judge(Rules, details.Kind, details.Travellers.Count) == HouseholdVerdict.NeedsConsent)
        {
            ArrivalConsent.Request(change, arrival, Rules);
            arrival.Deadlines.Add(DeadlineSchedule.New(change.Now, arrival.Id, EscalationKind.ConsentOverdue, arrival.ConsentDecideBy!.Value));
        }
        AnnounceTo(change, arrival, details);
        var vNumbers = details.Travellers.Select(t => t.VNumber).ToList();
        return store.ExecuteAsync(caller, method, request, request.RequestId, new PreparedChange<ArrivalResponse>(change, ArrivalWrites.Response(arrival, details), async write =>
        {
            // The unique index on open V-numbers refuses a traveller of another open arrival; only a
            // run after such a refusal reads, to name the traveller.
            if (!write.FirstRun)
            {
                await ArrivalWrites.RequireNotInOtherOpenArrivalAsync(write, vNumbers, arrivalId: null);
            }
            await write.Statements.InsertArrivalAsync(write.Connection, write.Transaction, arrival, write.CancellationToken);
        }), cancellationToken);
    }

    /// <summary>Announces the arrival at its municipality (with the consent request after it, when the
    /// household needs consent) and to the IND, and flags it when it comes later than the lead time.</summary>
    private void AnnounceTo(ChangeContext write, ArrivalEntity arrival, ArrivalDetails details)
    {
        var consent = arrival.ConsentStatus;
        ArrivalNotices.Tell(write, arrival, new Notice
        {
            ArrivalAnnounced = new ArrivalAnnounced
            {
                ArrivalId = arrival.Id,
                Details = details,
                LateAnnouncement = arrival.LateAnnouncement || LateAnnouncements.IsLate(write, arrival, Rules),
                Consent = consent,
            },
        });
        if (consent == ConsentStatus.Requested)
        {
            ArrivalNotices.Tell(write, arrival, ArrivalMoves.ConsentRequest(arrival));
        }
        ArrivalNotices.Tell(write, arrival, new Notice { TravellersAnnounced = ArrivalMoves.IndView(arrival, details) });
        LateAnnouncements.FlagIfLate(write, arrival, Rules);
    }
}
