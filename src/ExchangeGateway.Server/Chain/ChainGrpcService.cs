using ExchangeGateway.Contracts.V1;
using ExchangeGateway.Server.Audit;
using ExchangeGateway.Server.Dashboard;
using ExchangeGateway.Server.Rules;
using Grpc.Core;
using Microsoft.Extensions.Options;

namespace ExchangeGateway.Server.Chain;

/// <summary>ChainService: the national picture for chain coordination (COA may read it too), a
/// municipality's own figures, and the resolution of escalations. Who may call which is decided in <see cref="AccessPolicy"/>.</summary>
internal sealed class ChainGrpcService(
    GatewayStore store, MunicipalityTableFile municipalities, TimeProvider time, IOptions<GatewayOptions> options, ResolveEscalationUseCase resolve)
    : ChainService.ChainServiceBase
{
    private DashboardOptions Dashboard => options.Value.Dashboard;

    [Allow(OrganisationRole.ChainCoordination, OrganisationRole.Coa)]
    [ProcessingActivity("Raadplegen landelijk overzicht")]
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
        SeriesDays(violations, "series_days", request.SeriesDays);
        violations.ThrowIfAny();

        var asOf = time.GetUtcNow().UtcDateTime;
        var scope = new OverviewScope(municipalityCode, request.EveryMunicipality, request.SeriesDays);
        return store.ReadAsync((db, token) => OverviewQuery.RunAsync(db, municipalities.Current, scope, Dashboard, asOf, token), context.CancellationToken);
    }

    [Allow(OrganisationRole.ChainCoordination, OrganisationRole.Coa, OrganisationRole.Municipality)]
    [ProcessingActivity("Raadplegen gemeentelijk overzicht")]
    public override async Task<GetMunicipalityOverviewResponse> GetMunicipalityOverview(GetMunicipalityOverviewRequest request, ServerCallContext context)
    {
        var violations = new Violations();
        var code = request.MunicipalityCode;
        if (code.Length == 0)
        {
            violations.Add("municipality_code", "is required");
        }
        else if (!Identifiers.IsMunicipalityCodeFormat(code))
        {
            violations.Add("municipality_code", "must be a municipality code of 4 digits");
        }
        SeriesDays(violations, "series_days", request.SeriesDays);
        violations.ThrowIfAny();
        if (municipalities.Current.Find(code) is null || !AccessPolicy.CanSeeMunicipality(CallerInterceptor.CallerOf(context), code))
        {
            throw GatewayErrors.NotFound("municipality", code, $"Municipality {code} was not found.");
        }

        var asOf = time.GetUtcNow().UtcDateTime;
        var options = Dashboard;
        return await store.ReadAsync(async (db, token) =>
        {
            var overview = await OverviewQuery.RunAsync(db, municipalities.Current, new OverviewScope(code, EveryMunicipality: false, SeriesDays: 0), options, asOf, token);
            var escalations = await OpenEscalationsQuery.RunAsync(db, code, token);
            var response = new GetMunicipalityOverviewResponse
            {
                Municipality = overview.Municipalities.Single(),
                AsOf = overview.AsOf,
                StaleAcknowledgementAfter = overview.StaleAcknowledgementAfter,
            };
            response.OpenEscalations.AddRange(escalations.Escalations);
            if (request.SeriesDays > 0)
            {
                var since = DateOnly.FromDateTime(asOf).AddDays(1 - request.SeriesDays).ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc);
                response.FeedLag.AddRange(await OverviewSeriesQuery.LagAsync(db, FeedNames.Municipality(code), since, request.SeriesDays, options, token));
            }
            return response;
        }, context.CancellationToken);
    }

    [Allow(OrganisationRole.ChainCoordination, OrganisationRole.Coa)]
    [ProcessingActivity("Raadplegen escalaties")]
    public override Task<ListOpenEscalationsResponse> ListOpenEscalations(ListOpenEscalationsRequest request, ServerCallContext context)
    {
        var violations = new Violations();
        var code = request.MunicipalityCode.Length > 0 ? request.MunicipalityCode : null;
        if (code is not null && !Identifiers.IsMunicipalityCodeFormat(code))
        {
            violations.Add("municipality_code", "must be a municipality code of 4 digits, or empty for every municipality");
        }
        violations.ThrowIfAny();
        return store.ReadAsync((db, token) => OpenEscalationsQuery.RunAsync(db, code, token), context.CancellationToken);
    }

    [Allow(OrganisationRole.ChainCoordination)]
    [ProcessingActivity("Afhandelen escalatie")]
    public override Task<ResolveEscalationResponse> ResolveEscalation(ResolveEscalationRequest request, ServerCallContext context) =>
        resolve.RunAsync(request, context);

    private static void SeriesDays(Violations violations, string field, int days)
    {
        if (days is < 0 or > OverviewSeriesQuery.MaxDays)
        {
            violations.Add(field, $"must be 0 (no series) to {OverviewSeriesQuery.MaxDays} days");
        }
    }
}
