using ExchangeGateway.Contracts.V1;
using ExchangeGateway.Server.Audit;
using ExchangeGateway.Server.Gateway;
using ExchangeGateway.Server.Identity;
using ExchangeGateway.Tests.Fixtures;
using Grpc.AspNetCore.Server;
using Grpc.Core;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace ExchangeGateway.Tests.Identity;

/// <summary>The start-up check that no method is half-wired: the gateway as built passes it, and each
/// kind of omission is named.</summary>
public sealed class MethodPolicyCheckTests(GatewayHostFixture fixture) : IClassFixture<GatewayHostFixture>
{
    private static readonly Method<byte[], byte[]> Ping = new(MethodType.Unary, GatewayService.Descriptor.FullName, "Ping",
        Marshallers.Create(b => b, b => b), Marshallers.Create(b => b, b => b));

    [Fact]
    public void Problems_TheGatewayAsBuilt_NoneAndEveryEndpointHasItsPolicy()
    {
        var endpoints = fixture.Host.Services.GetRequiredService<EndpointDataSource>().Endpoints;

        Assert.Empty(MethodPolicyCheck.Problems(endpoints, [ArrivalService.Descriptor, NoticeFeed.Descriptor, GatewayService.Descriptor]));
        // The REST routes of JSON transcoding carry the handler's attributes too.
        Assert.Contains(endpoints, e => e is RouteEndpoint { RoutePattern.RawText: var route } && route!.Contains("arrivals", StringComparison.Ordinal)
            && e.Metadata.GetMetadata<AllowAttribute>() is { Roles: [OrganisationRole.Coa] });
    }

    [Fact]
    public void Problems_EndpointWithoutRoles_NamesIt()
    {
        var problems = MethodPolicyCheck.Problems([Endpoint(new OperationalAttribute())], []);

        Assert.Equal(["/exchange.v1.GatewayService/Ping says no roles ([Allow])"], problems);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Problems_NeitherOrBothActivityAndOperational_NamesIt(bool both)
    {
        object[] metadata = both
            ? [new AllowAttribute(OrganisationRole.Coa), new OperationalAttribute(), new ProcessingActivityAttribute("Raadplegen")]
            : [new AllowAttribute(OrganisationRole.Coa)];

        var problems = MethodPolicyCheck.Problems([Endpoint(metadata)], []);

        Assert.Equal(["/exchange.v1.GatewayService/Ping needs exactly one of [ProcessingActivity] and [Operational]"], problems);
    }

    [Fact]
    public void Problems_ContractMethodNotMapped_NamesIt()
    {
        var problems = MethodPolicyCheck.Problems([Endpoint(new AllowAttribute(OrganisationRole.Coa), new OperationalAttribute())], [GatewayService.Descriptor, IndService.Descriptor]);

        Assert.Equal(["/exchange.v1.IndService/LookupTraveller is not mapped", "/exchange.v1.IndService/ReportCheckIn is not mapped"], problems);
    }

    private static Endpoint Endpoint(params object[] metadata) =>
        new(_ => Task.CompletedTask, new EndpointMetadataCollection([new GrpcMethodMetadata(typeof(GatewayGrpcService), Ping), .. metadata]), "Ping");
}
