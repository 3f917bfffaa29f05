using System.Net;
using System.Text.Json;
using ExchangeGateway.Server.Rest;
using ExchangeGateway.Tests.Fixtures;
using ExchangeGateway.Tests.Shared;
using Microsoft.AspNetCore.Grpc.JsonTranscoding;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace ExchangeGateway.Tests.Rest;

/// <summary>The committed OpenAPI document is what the contract generates, and what the gateway routes.</summary>
public sealed class OpenApiDocumentTests(GatewayHostFixture fixture) : IClassFixture<GatewayHostFixture>
{
    private static readonly string CommittedPath = Path.Combine(TestRepository.Root(), "openapi", "exchange-v1.json");

    private static string Generated() =>
        OpenApiDocument.Generate(OpenApiDocument.Version, ProtoComments.ReadContract(Path.Combine(TestRepository.Root(), "protos"))!);

    [Fact]
    public void Generate_FromTheContract_IsTheCommittedDocument()
    {
        Assert.True(Generated() == File.ReadAllText(CommittedPath),
            "openapi/exchange-v1.json is not what the contract generates: run `dotnet run --project src/ExchangeGateway.Cli -- openapi --out openapi/exchange-v1.json` and commit it.");
    }

    [Fact]
    public void Generate_EveryUnaryMethodOfTheContract_HasOneRoute()
    {
        var unary = OpenApiDocument.Services.SelectMany(s => s.Methods).Where(m => !m.IsClientStreaming && !m.IsServerStreaming).Select(m => m.FullName);

        Assert.Equal(unary.Order(), OpenApiDocument.Routes().Select(r => r.Method.FullName).Order());
    }

    [Fact]
    public void Routes_OfTheRunningGateway_AreTheDocumentsOperations()
    {
        using var document = JsonDocument.Parse(File.ReadAllText(CommittedPath));
        var documented = document.RootElement.GetProperty("paths").EnumerateObject()
            .SelectMany(path => path.Value.EnumerateObject().Select(verb => $"{verb.Name.ToUpperInvariant()} /v1{path.Name}"))
            .Where(route => !route.EndsWith(OpenApiDocument.Path, StringComparison.Ordinal))
            .Order();

        var served = fixture.Host.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.Metadata.GetMetadata<GrpcJsonTranscodingMetadata>() is not null)
            .SelectMany(e => e.Metadata.GetMetadata<HttpMethodMetadata>()!.HttpMethods.Select(verb => $"{verb} /{e.RoutePattern.RawText!.TrimStart('/')}"))
            .Order();

        Assert.Equal(documented, served);
    }

    [Fact]
    public async Task GetOpenApiJson_WithCertificate_ServesTheCommittedDocumentWithItsVersionHeader()
    {
        using var client = fixture.Host.RestClient("gemeente-utrecht");

        using var response = await client.GetAsync(OpenApiDocument.Path);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(File.ReadAllText(CommittedPath), await response.Content.ReadAsStringAsync());
        Assert.Equal(OpenApiDocument.Version, Assert.Single(response.Headers.GetValues("API-Version")));
    }

    [Fact]
    public async Task GetOpenApiJson_WithoutCertificate_401Problem()
    {
        using var client = fixture.Host.RestClient(null);

        using var response = await client.GetAsync(OpenApiDocument.Path);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(Problems.ContentType, response.Content.Headers.ContentType?.MediaType);
    }
}
