using ExchangeGateway.Contracts.V1;
using ExchangeGateway.Server.Rest;
using ExchangeGateway.Server.Storage;
using ExchangeGateway.Tests.Fixtures;
using Microsoft.Extensions.DependencyInjection;

namespace ExchangeGateway.Tests.Storage;

/// <summary>The one convention for mutating RPCs: each request that carries a request_id is served by
/// exactly one use case, and the gateway's container holds every use case.</summary>
public sealed class UseCaseTests(GatewayHostFixture fixture) : IClassFixture<GatewayHostFixture>
{
    private static readonly Type[] UseCases = [.. typeof(UseCase<,>).Assembly.GetTypes()
        .Where(t => t is { IsClass: true, IsAbstract: false } && RequestOf(t) is not null)];

    [Fact]
    public void UseCases_EveryRequestWithARequestId_ExactlyOne()
    {
        var mutating = OpenApiDocument.Services.Append(NoticeFeed.Descriptor)
            .SelectMany(s => s.Methods)
            .Select(m => m.InputType)
            .Where(m => m.FindFieldByName("request_id") is not null)
            .Select(m => m.FullName)
            .Order(StringComparer.Ordinal)
            .ToList();
        var served = UseCases.Select(t => RequestOf(t)!.FullName).Order(StringComparer.Ordinal).ToList();

        Assert.Equal(12, mutating.Count);
        Assert.Equal(mutating, served);
    }

    [Fact]
    public void UseCases_TheGatewayAsBuilt_EachResolves()
    {
        foreach (var type in UseCases)
        {
            Assert.NotNull(fixture.Host.Services.GetService(type));
        }
    }

    /// <summary>The request message a use case serves, or null for a type that is none.</summary>
    private static Google.Protobuf.Reflection.MessageDescriptor? RequestOf(Type? type)
    {
        for (; type is not null; type = type.BaseType)
        {
            if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(UseCase<,>))
            {
                var request = (Google.Protobuf.IMessage)Activator.CreateInstance(type.GetGenericArguments()[0])!;
                return request.Descriptor;
            }
        }
        return null;
    }
}
