using System.Collections.Frozen;
using ExchangeGateway.Contracts.V1;
using ExchangeGateway.Server.Storage;

namespace ExchangeGateway.Server.Identity;

/// <summary>Who may call what: the one place that decides. A method a role may never call is
/// PERMISSION_DENIED before any work is done; whether the caller may see a particular arrival is
/// <see cref="CanSee"/>, and an arrival it may not see is answered as if it did not exist.</summary>
internal static class AccessPolicy
{
    private static readonly OrganisationRole[] Everyone =
        [OrganisationRole.Coa, OrganisationRole.Ind, OrganisationRole.ChainCoordination, OrganisationRole.Municipality];

    public static readonly FrozenDictionary<string, OrganisationRole[]> Methods = new Dictionary<string, OrganisationRole[]>
    {
        [Method(ArrivalService.Descriptor, "AnnounceArrival")] = [OrganisationRole.Coa],
        [Method(ArrivalService.Descriptor, "AmendArrival")] = [OrganisationRole.Coa],
        [Method(ArrivalService.Descriptor, "CancelArrival")] = [OrganisationRole.Coa],
        [Method(ArrivalService.Descriptor, "ReportDeparture")] = [OrganisationRole.Coa],
        [Method(ArrivalService.Descriptor, "ReportTravellersArrived")] = [OrganisationRole.Coa],
        [Method(ArrivalService.Descriptor, "GetArrival")] = [OrganisationRole.Coa, OrganisationRole.Municipality, OrganisationRole.ChainCoordination],
        [Method(ArrivalService.Descriptor, "ListArrivals")] = [OrganisationRole.Coa, OrganisationRole.Municipality, OrganisationRole.ChainCoordination],
        [Method(MunicipalityService.Descriptor, "ReportRegistration")] = [OrganisationRole.Municipality],
        [Method(MunicipalityService.Descriptor, "ReportBsnAssigned")] = [OrganisationRole.Municipality],
        [Method(MunicipalityService.Descriptor, "DecideConsent")] = [OrganisationRole.Municipality],
        [Method(MunicipalityService.Descriptor, "ReportUnannouncedArrival")] = [OrganisationRole.Municipality],
        [Method(IndService.Descriptor, "LookupTraveller")] = [OrganisationRole.Ind],
        [Method(IndService.Descriptor, "ReportCheckIn")] = [OrganisationRole.Ind],
        [Method(ChainService.Descriptor, "GetOverview")] = [OrganisationRole.ChainCoordination, OrganisationRole.Coa],
        [Method(ChainService.Descriptor, "GetMunicipalityOverview")] = [OrganisationRole.ChainCoordination, OrganisationRole.Coa, OrganisationRole.Municipality],
        [Method(ChainService.Descriptor, "ListOpenEscalations")] = [OrganisationRole.ChainCoordination, OrganisationRole.Coa],
        [Method(ChainService.Descriptor, "ResolveEscalation")] = [OrganisationRole.ChainCoordination],
        [Method(NoticeFeed.Descriptor, "Subscribe")] = Everyone,
        [Method(PullFeedService.Descriptor, "FetchNotices")] = Everyone,
        [Method(PullFeedService.Descriptor, "AcknowledgeNotices")] = Everyone,
        [Method(WebhookService.Descriptor, "ListWebhookSubscriptions")] = [OrganisationRole.ChainCoordination],
        [Method(WebhookService.Descriptor, "RetryParkedNotices")] = [OrganisationRole.ChainCoordination],
        [Method(GatewayService.Descriptor, "Ping")] = Everyone,
        [HealthCheck] = Everyone,
        [HealthWatch] = Everyone,
        [Reflection] = Everyone,
        [ReflectionAlpha] = Everyone,
    }.ToFrozenDictionary(StringComparer.Ordinal);

    private const string HealthCheck = "/grpc.health.v1.Health/Check";
    private const string HealthWatch = "/grpc.health.v1.Health/Watch";
    private const string Reflection = "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo";
    private const string ReflectionAlpha = "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo";

    /// <summary>Methods that touch no personal data and no storage: Ping, health and reflection. They
    /// are not audited (nothing to account for) and not rate limited (refusing one costs as much as
    /// answering it, and a probe refused would look like an outage).</summary>
    private static readonly FrozenSet<string> Operational =
        new[] { Method(GatewayService.Descriptor, "Ping"), HealthCheck, HealthWatch, Reflection, ReflectionAlpha }.ToFrozenSet(StringComparer.Ordinal);

    /// <summary>Whether <paramref name="method"/> is exempt from the audit log and the limits (see <see cref="Operational"/>).</summary>
    public static bool IsOperational(string method) => Operational.Contains(method);

    /// <summary>Whether <paramref name="role"/> may call <paramref name="method"/> (a gRPC path,
    /// "/exchange.v1.ArrivalService/AnnounceArrival"). Unknown methods are allowed to nobody.</summary>
    public static bool MayCall(string method, OrganisationRole role) =>
        Methods.TryGetValue(method, out var roles) && roles.Contains(role);

    /// <summary>Whether the caller may see this arrival at all.</summary>
    public static bool CanSee(Caller caller, ArrivalEntity arrival) => caller.Organisation.Role switch
    {
        OrganisationRole.Coa or OrganisationRole.ChainCoordination => true,
        OrganisationRole.Municipality => caller.Organisation.Serves(arrival.MunicipalityCode),
        _ => false,
    };

    /// <summary>Whether the caller may see a municipality's own figures; one it may not is answered as
    /// if it did not exist.</summary>
    public static bool CanSeeMunicipality(Caller caller, string municipalityCode) => caller.Organisation.Role switch
    {
        OrganisationRole.Coa or OrganisationRole.ChainCoordination => true,
        OrganisationRole.Municipality => caller.Organisation.Serves(municipalityCode),
        _ => false,
    };

    private static string Method(Google.Protobuf.Reflection.ServiceDescriptor service, string name) =>
        $"/{service.FullName}/{name}";
}
