using System.Globalization;
using ExchangeGateway.Contracts.V1;
using ExchangeGateway.Server.Arrivals;
using Microsoft.EntityFrameworkCore;

namespace ExchangeGateway.Server.Chain;

/// <summary>Chain coordination closes an escalation with a note: the escalation records who and
/// when, the arrival's history says so (without the note, which is free text), and COA and chain
/// coordination are told.</summary>
internal sealed class ResolveEscalationUseCase(GatewayStore store) : WriteUseCase<ResolveEscalationRequest, ResolveEscalationResponse>(store)
{
    protected override void Validate(ResolveEscalationRequest request, Caller caller, Violations violations)
    {
        EscalationId(violations, request.EscalationId);
        violations.RequireText("note", request.Note, 500);
    }

    protected override async Task<ResolveEscalationResponse> ExecuteAsync(ResolveEscalationRequest request, WriteContext write)
    {
        var escalationId = CommonRules.CanonicalId(request.EscalationId);
        var note = request.Note;
        var escalation = await write.Db.Escalations.AsNoTracking()
            .FirstOrDefaultAsync(e => e.Id == escalationId, write.CancellationToken)
            ?? throw GatewayErrors.NotFound("exchange.v1.Escalation", escalationId, $"Escalation {escalationId} not found.");
        if (escalation.ResolvedAt is not null)
        {
            throw AlreadyResolved(escalation);
        }
        // Claimed with a conditional update, as the deadline sweep claims notices: of two instances
        // resolving the same escalation at once, only the one whose update changes the row goes on.
        var organisationId = write.Caller.Organisation.Id;
        var claimed = await write.Db.Escalations
            .Where(e => e.Id == escalationId && e.ResolvedAt == null)
            .ExecuteUpdateAsync(s => s
                .SetProperty(e => e.ResolvedAt, write.Now)
                .SetProperty(e => e.ResolutionNote, note)
                .SetProperty(e => e.ResolvedBy, organisationId), write.CancellationToken);
        if (claimed == 0)
        {
            var winner = await write.Db.Escalations.AsNoTracking().FirstAsync(e => e.Id == escalationId, write.CancellationToken);
            throw AlreadyResolved(winner);
        }
        escalation.ResolvedAt = write.Now;
        escalation.ResolutionNote = note;
        escalation.ResolvedBy = organisationId;

        var arrival = await write.Db.Arrivals.FirstAsync(a => a.Id == escalation.ArrivalId, write.CancellationToken);
        ArrivalLifecycle.Record(write, arrival, "escalation-resolved", string.Create(CultureInfo.InvariantCulture,
            $"Escalation {escalation.Id} ({Describe(escalation.Kind)}, raised {escalation.RaisedAt:yyyy-MM-dd HH:mm} UTC) resolved by {organisationId}."));
        var resolved = new EscalationResolved
        {
            ArrivalId = arrival.Id,
            MunicipalityCode = arrival.MunicipalityCode,
            Escalation = ArrivalMapping.ToContract(escalation),
        };
        ArrivalNotices.Tell(write, arrival, new Notice { EscalationResolved = resolved });
        return new ResolveEscalationResponse { ArrivalId = arrival.Id, Escalation = resolved.Escalation.Clone() };
    }

    /// <summary>The UUID the gateway gave the escalation.</summary>
    private static void EscalationId(Violations violations, string value)
    {
        if (value.Length == 0)
        {
            violations.Add("escalation_id", "is required");
        }
        else if (value.Length > 36 || !Guid.TryParseExact(value, "D", out _))
        {
            violations.Add("escalation_id", "must be an escalation id as the gateway gave it (a UUID)");
        }
    }

    private static Grpc.Core.RpcException AlreadyResolved(EscalationEntity escalation) =>
        GatewayErrors.FailedPrecondition("ESCALATION_RESOLVED", "escalations/" + escalation.Id, string.Create(CultureInfo.InvariantCulture,
            $"This escalation was already resolved on {escalation.ResolvedAt:yyyy-MM-dd HH:mm} UTC by {escalation.ResolvedBy}; a resolved escalation cannot be resolved again."));

    public static string Describe(EscalationKind kind) => kind switch
    {
        EscalationKind.AcknowledgementOverdue => "acknowledgement overdue",
        EscalationKind.LateAnnouncement => "late announcement",
        EscalationKind.ConsentOverdue => "consent overdue",
        EscalationKind.RegistrationOverdue => "BRP registration overdue",
        EscalationKind.CheckInOverdue => "IND check-in overdue",
        EscalationKind.IdentifierConflict => "identifier conflict",
        EscalationKind.WebhookRefused => "webhook refused",
        _ => kind.ToString(),
    };
}
