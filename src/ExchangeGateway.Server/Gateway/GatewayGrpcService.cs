using ExchangeGateway.Contracts.V1;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;

namespace ExchangeGateway.Server.Gateway;

/// <summary>GatewayService.Ping: who the gateway thinks the caller is. No storage, no personal data.</summary>
internal sealed class GatewayGrpcService(TimeProvider time) : GatewayService.GatewayServiceBase
{
    [Allow(OrganisationRole.Coa, OrganisationRole.Ind, OrganisationRole.ChainCoordination, OrganisationRole.Municipality)]
    [Operational]
    public override Task<PingResponse> Ping(PingRequest request, ServerCallContext context)
    {
        var caller = CallerInterceptor.CallerOf(context);
        var response = new PingResponse
        {
            OrganisationId = caller.Organisation.Id,
            Role = caller.Organisation.Role.ToString(),
            Oin = caller.Oin,
            ServerTime = Timestamp.FromDateTimeOffset(time.GetUtcNow()),
        };
        response.Feeds.AddRange(caller.Organisation.Feeds);
        return Task.FromResult(response);
    }
}
