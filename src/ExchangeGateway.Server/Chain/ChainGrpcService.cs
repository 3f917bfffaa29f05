using ExchangeGateway.Contracts.V1;
using ExchangeGateway.Server.Identity;
using ExchangeGateway.Server.Rules;
using ExchangeGateway.Server.Storage;
using ExchangeGateway.Server.Validation;
using Grpc.Core;

namespace ExchangeGateway.Server.Chain;

/// <summary>ChainService: the national picture for chain coordination (COA may read it too), and
/// the resolution of escalations. Who may call which is decided in <see cref="AccessPolicy"/>.</summary>
internal sealed class ChainGrpcService(GatewayStore store, MunicipalityTableFile municipalities, TimeProvider time) : ChainService.ChainServiceBase
{
    public override Task<GetOverviewResponse> GetOverview(GetOverviewRequest request, ServerCallContext context)
    {
        var violations = new Violations();
        string? municipalityCode = null;
        if (request.MunicipalityCode.Length > 0)
        {
            if (!Identifiers.IsMunicipalityCodeFormat(request.MunicipalityCode))
            {
                violations.Add("municipality_code", "must be a municipality code of 4 digits, or empty for every municipality");
            }
            else if (municipalities.Current.Find(request.MunicipalityCode) is null)
            {
                violations.Add("municipality_code", "is not in the municipality table");
            }
            municipalityCode = request.MunicipalityCode;
        }
        violations.ThrowIfAny();

        var asOf = time.GetUtcNow().UtcDateTime;
        return store.ReadAsync((db, token) => OverviewQuery.RunAsync(db, municipalities.Current, municipalityCode, asOf, token), context.CancellationToken);
    }

    public override Task<ResolveEscalationResponse> ResolveEscalation(ResolveEscalationRequest request, ServerCallContext context)
    {
        var violations = new Violations();
        violations.RequestId(request.RequestId);
        var escalationId = EscalationId(violations, request.EscalationId);
        violations.RequireText("note", request.Note, 500);
        violations.ThrowIfAny();

        var caller = CallerInterceptor.CallerOf(context);
        return store.ExecuteAsync(caller, context.Method, request, request.RequestId,
            write => EscalationResolution.ResolveAsync(write, escalationId!, request.Note), context.CancellationToken);
    }

    /// <summary>The UUID the gateway gave the escalation, in its canonical (lower-case) form.</summary>
    private static string? EscalationId(Violations violations, string value)
    {
        if (value.Length == 0)
        {
            violations.Add("escalation_id", "is required");
            return null;
        }
        if (value.Length > 36 || !Guid.TryParseExact(value, "D", out var id))
        {
            violations.Add("escalation_id", "must be an escalation id as the gateway gave it (a UUID)");
            return null;
        }
        return id.ToString();
    }
}
