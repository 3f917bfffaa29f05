using ExchangeGateway.Server.Audit;
using Google.Protobuf.Reflection;
using Grpc.AspNetCore.Server;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace ExchangeGateway.Server.Identity;

/// <summary>Start-up refuses a gateway in which a method is half-wired: every contract method must be
/// mapped, and every gRPC endpoint (its REST route too) must say who may call it (<see cref="AllowAttribute"/>)
/// and either under which processing activity it is audited (<see cref="ProcessingActivityAttribute"/>)
/// or that it is <see cref="OperationalAttribute"/>.</summary>
internal static class MethodPolicyCheck
{
    public static void Verify(IEndpointRouteBuilder app, IEnumerable<ServiceDescriptor> contract)
    {
        var problems = Problems(app.DataSources.SelectMany(d => d.Endpoints), contract);
        if (problems.Count > 0)
        {
            throw new InvalidOperationException("The gateway's methods are not all wired: " + string.Join("; ", problems) + ".");
        }
    }

    public static List<string> Problems(IEnumerable<Endpoint> endpoints, IEnumerable<ServiceDescriptor> contract)
    {
        var problems = new List<string>();
        var mapped = new HashSet<string>(StringComparer.Ordinal);
        foreach (var endpoint in endpoints)
        {
            if (endpoint.Metadata.GetMetadata<GrpcMethodMetadata>() is not { } grpc || grpc.Method.ServiceName.Contains('{', StringComparison.Ordinal))
            {
                // Not gRPC, or grpc-dotnet's catch-all for unknown services and methods (UNIMPLEMENTED).
                continue;
            }
            var path = grpc.Method.FullName;
            mapped.Add(path);
            if (endpoint.Metadata.GetMetadata<AllowAttribute>() is null)
            {
                problems.Add($"{path} says no roles ([Allow])");
            }
            var audited = endpoint.Metadata.GetMetadata<ProcessingActivityAttribute>() is not null;
            var operational = endpoint.Metadata.GetMetadata<OperationalAttribute>() is not null;
            if (audited == operational)
            {
                problems.Add($"{path} needs exactly one of [ProcessingActivity] and [Operational]");
            }
        }
        problems.AddRange(contract.SelectMany(s => s.Methods)
            .Select(m => $"/{m.Service.FullName}/{m.Name}")
            .Where(path => !mapped.Contains(path))
            .Select(path => $"{path} is not mapped"));
        return problems.Distinct(StringComparer.Ordinal).ToList();
    }
}
