using ExchangeGateway.Contracts.V1;
using ExchangeGateway.Tests.Fixtures;
using Grpc.Core;

namespace ExchangeGateway.Tests.Identity;

/// <summary>A method a role may never call is PERMISSION_DENIED before anything else is looked at: the
/// requests here are empty and would otherwise be INVALID_ARGUMENT.</summary>
public sealed class AccessPolicyTests(GatewayHostFixture fixture) : IClassFixture<GatewayHostFixture>
{
    private GatewayHost Host => fixture.Host;

    public static TheoryData<string, string> Forbidden => new()
    {
        { "ind", "AnnounceArrival" },
        { "gemeente-amsterdam", "AnnounceArrival" },
        { "ketenregie", "AnnounceArrival" },
        { "gemeente-amsterdam", "AmendArrival" },
        { "ketenregie", "CancelArrival" },
        { "gemeente-utrecht", "ReportDeparture" },
        { "ind", "ReportTravellersArrived" },
        { "ind", "GetArrival" },
        { "ind", "ListArrivals" },
        { "coa", "ReportRegistration" },
        { "ind", "ReportRegistration" },
        { "ketenregie", "ReportBsnAssigned" },
        { "coa", "LookupTraveller" },
        { "brp-drechtsteden", "LookupTraveller" },
        { "ketenregie", "LookupTraveller" },
    };

    private Task Call(string organisationId, string method) => method switch
    {
        "AnnounceArrival" => Host.Arrivals(organisationId).AnnounceArrivalAsync(new AnnounceArrivalRequest()).ResponseAsync,
        "AmendArrival" => Host.Arrivals(organisationId).AmendArrivalAsync(new AmendArrivalRequest()).ResponseAsync,
        "CancelArrival" => Host.Arrivals(organisationId).CancelArrivalAsync(new CancelArrivalRequest()).ResponseAsync,
        "ReportDeparture" => Host.Arrivals(organisationId).ReportDepartureAsync(new ReportDepartureRequest()).ResponseAsync,
        "ReportTravellersArrived" => Host.Arrivals(organisationId).ReportTravellersArrivedAsync(new ReportTravellersArrivedRequest()).ResponseAsync,
        "GetArrival" => Host.Arrivals(organisationId).GetArrivalAsync(new GetArrivalRequest()).ResponseAsync,
        "ListArrivals" => Host.Arrivals(organisationId).ListArrivalsAsync(new ListArrivalsRequest()).ResponseAsync,
        "ReportRegistration" => Host.Municipality(organisationId).ReportRegistrationAsync(new ReportRegistrationRequest()).ResponseAsync,
        "ReportBsnAssigned" => Host.Municipality(organisationId).ReportBsnAssignedAsync(new ReportBsnAssignedRequest()).ResponseAsync,
        "LookupTraveller" => Host.Ind(organisationId).LookupTravellerAsync(new LookupTravellerRequest()).ResponseAsync,
        _ => throw new ArgumentOutOfRangeException(nameof(method), method, null),
    };

    [Theory]
    [MemberData(nameof(Forbidden))]
    public async Task Method_ByRoleNotAllowed_IsPermissionDeniedBeforeValidation(string organisationId, string method)
    {
        var error = await RpcAssert.ReasonAsync(StatusCode.PermissionDenied, "ROLE_NOT_ALLOWED", () => Call(organisationId, method));

        Assert.Contains(method, error.Status.Detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("coa", "AnnounceArrival")]
    [InlineData("gemeente-amsterdam", "GetArrival")]
    [InlineData("ketenregie", "GetArrival")]
    [InlineData("gemeente-utrecht", "ReportRegistration")]
    [InlineData("brp-drechtsteden", "ReportBsnAssigned")]
    [InlineData("ind", "LookupTraveller")]
    public async Task Method_ByRoleAllowed_GetsAsFarAsValidation(string organisationId, string method)
    {
        await RpcAssert.ThrowsAsync(StatusCode.InvalidArgument, () => Call(organisationId, method));
    }
}
