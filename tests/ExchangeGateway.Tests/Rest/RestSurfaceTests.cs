using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using ExchangeGateway.Contracts.V1;
using ExchangeGateway.Server.Hosting;
using ExchangeGateway.Tests.Fixtures;
using ExchangeGateway.Tests.Shared;
using Google.Protobuf;
using Microsoft.EntityFrameworkCore;

namespace ExchangeGateway.Tests.Rest;

/// <summary>The REST surface (JSON transcoding of the unary RPCs) in front of the same identity,
/// policy, validation and audit as gRPC, with every error a problem (RFC 9457).</summary>
public sealed class RestSurfaceTests(GatewayHostFixture fixture) : IClassFixture<GatewayHostFixture>
{
    private GatewayHost Host => fixture.Host;

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private static StringContent Announcement(ArrivalDetails details, string? requestId = null) =>
        Json(JsonFormatter.Default.Format(new AnnounceArrivalRequest { RequestId = requestId ?? ArrivalSteps.NewRequestId(), Arrival = details }));

    private static async Task<JsonElement> ProblemAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"expected {(int)status}, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(body).RootElement;
        Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrEmpty(problem.GetProperty("detail").GetString()));
        return problem;
    }

    private async Task<int> ArrivalsWithCaseAsync(string caseReference)
    {
        await using var db = Host.Db();
        return await db.Arrivals.CountAsync(a => a.CaseReference == caseReference);
    }

    [Fact]
    public async Task PostArrivals_ValidAnnouncement_OkWithTheArrivalAsJsonAndStored()
    {
        using var coa = Host.RestClient("coa");
        var details = TestArrivals.Family("0363");

        using var response = await coa.PostAsync("/v1/arrivals", Announcement(details));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var arrival = ArrivalResponse.Parser.ParseJson(await response.Content.ReadAsStringAsync()).Arrival;
        Assert.Equal(ArrivalState.Announced, arrival.State);
        Assert.Equal(details.CaseReference, arrival.Details.CaseReference);
        Assert.Equal(1, await ArrivalsWithCaseAsync(details.CaseReference));
        // The same arrival over gRPC: one store, two surfaces.
        Assert.Equal(arrival.ArrivalId, (await Host.GetAsync(arrival.ArrivalId)).ArrivalId);
    }

    [Fact]
    public async Task PostArrivals_SameRequestIdTwice_SecondReturnsTheFirstAnswerAndStoresNothingMore()
    {
        using var coa = Host.RestClient("coa");
        var details = TestArrivals.Family("0344");
        var requestId = ArrivalSteps.NewRequestId();

        using var first = await coa.PostAsync("/v1/arrivals", Announcement(details, requestId));
        using var second = await coa.PostAsync("/v1/arrivals", Announcement(details, requestId));

        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal(await first.Content.ReadAsStringAsync(), await second.Content.ReadAsStringAsync());
        Assert.Equal(1, await ArrivalsWithCaseAsync(details.CaseReference));
    }

    [Fact]
    public async Task PostArrivals_IncompleteArrival_400ProblemNamingEachBadFieldAndNothingStored()
    {
        using var coa = Host.RestClient("coa");
        var details = TestArrivals.Family("0363");
        details.ExpectedArrivalDate = null;
        details.Travellers[0].VNumber = "12";

        using var response = await coa.PostAsync("/v1/arrivals", Announcement(details));

        var problem = await ProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.Equal("INVALID_ARGUMENT", problem.GetProperty("code").GetString());
        var names = problem.GetProperty("invalidParams").EnumerateArray().Select(p => p.GetProperty("name").GetString()).ToList();
        Assert.Contains("arrival.expected_arrival_date", names);
        Assert.Contains("arrival.travellers[0].v_number", names);
        Assert.All(problem.GetProperty("invalidParams").EnumerateArray(), p => Assert.False(string.IsNullOrEmpty(p.GetProperty("reason").GetString())));
        Assert.Equal(0, await ArrivalsWithCaseAsync(details.CaseReference));
    }

    [Theory]
    [InlineData("{\"requestId\":")]
    [InlineData("{\"requestId\":5}")]
    [InlineData("[1,2]")]
    [InlineData("{\"arrival\":{\"kind\":\"NO_SUCH_KIND\"}}")]
    public async Task PostArrivals_MalformedJson_400Problem(string json)
    {
        using var coa = Host.RestClient("coa");

        using var response = await coa.PostAsync("/v1/arrivals", Json(json));

        var problem = await ProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.Equal("INVALID_ARGUMENT", problem.GetProperty("code").GetString());
    }

    [Fact]
    public async Task PostArrivals_BodyNotJson_415ProblemAndNothingStored()
    {
        using var coa = Host.RestClient("coa");
        var details = TestArrivals.Family("0363");
        var content = Announcement(details);
        content.Headers.ContentType = new MediaTypeHeaderValue("text/plain");

        using var response = await coa.PostAsync("/v1/arrivals", content);

        var problem = await ProblemAsync(response, HttpStatusCode.UnsupportedMediaType);
        Assert.Equal("Content-Type", problem.GetProperty("invalidParams")[0].GetProperty("name").GetString());
        Assert.Equal(0, await ArrivalsWithCaseAsync(details.CaseReference));
    }

    [Fact]
    public async Task PostArrivals_BodyOverTheLimit_413Problem()
    {
        using var coa = Host.RestClient("coa");
        var json = "{\"requestId\":\"" + new string('a', GatewayHosting.MaxRequestBytes) + "\"}";

        using var response = await coa.PostAsync("/v1/arrivals", Json(json));

        await ProblemAsync(response, HttpStatusCode.RequestEntityTooLarge);
    }

    [Fact]
    public async Task PostArrivals_AsMunicipality_403ProblemWithTheReason()
    {
        using var amsterdam = Host.RestClient("gemeente-amsterdam");

        using var response = await amsterdam.PostAsync("/v1/arrivals", Announcement(TestArrivals.Family("0363")));

        var problem = await ProblemAsync(response, HttpStatusCode.Forbidden);
        Assert.Equal("PERMISSION_DENIED", problem.GetProperty("code").GetString());
        Assert.Equal("ROLE_NOT_ALLOWED", problem.GetProperty("reason").GetString());
    }

    [Fact]
    public async Task GetArrival_AnotherMunicipalitysArrival_404ProblemAsIfAbsent()
    {
        var arrival = await Host.AnnounceAsync(TestArrivals.Family("0363"));
        using var utrecht = Host.RestClient("gemeente-utrecht");
        using var amsterdam = Host.RestClient("gemeente-amsterdam");

        using var hidden = await utrecht.GetAsync($"/v1/arrivals/{arrival.ArrivalId}");
        using var absent = await utrecht.GetAsync($"/v1/arrivals/{Guid.CreateVersion7()}");
        using var own = await amsterdam.GetAsync($"/v1/arrivals/{arrival.ArrivalId}");

        var hiddenProblem = await ProblemAsync(hidden, HttpStatusCode.NotFound);
        var absentProblem = await ProblemAsync(absent, HttpStatusCode.NotFound);
        Assert.Equal(absentProblem.GetProperty("code").GetString(), hiddenProblem.GetProperty("code").GetString());
        Assert.Equal(HttpStatusCode.OK, own.StatusCode);
    }

    [Fact]
    public async Task Ping_WithoutCertificate_401ProblemAlsoWhenAForwardedHeaderNamesOne()
    {
        using var anonymous = Host.RestClient(null);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/ping");
        // What a TLS-terminating proxy would add: the gateway takes identity from the connection only.
        var pem = TestPki.Client("coa").ExportCertificatePem();
        request.Headers.Add("X-Forwarded-Client-Cert", $"Cert=\"{Uri.EscapeDataString(pem)}\"");
        request.Headers.Add("X-ARR-ClientCert", Convert.ToBase64String(TestPki.Client("coa").RawData));

        using var response = await anonymous.SendAsync(request);

        var problem = await ProblemAsync(response, HttpStatusCode.Unauthorized);
        Assert.Equal("CLIENT_CERTIFICATE_REQUIRED", problem.GetProperty("reason").GetString());
    }

    [Fact]
    public async Task Ping_WithCertificate_OkNamingTheCaller()
    {
        using var coa = Host.RestClient("coa");

        var ping = PingResponse.Parser.ParseJson(await coa.GetStringAsync("/v1/ping"));

        Assert.Equal("coa", ping.OrganisationId);
    }

    [Theory]
    [InlineData("https://elsewhere.example")]
    [InlineData("null")]
    public async Task Ping_FromAnotherOrigin_403Problem(string origin)
    {
        using var coa = Host.RestClient("coa");
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/ping");
        request.Headers.Add("Origin", origin);

        using var response = await coa.SendAsync(request);

        var problem = await ProblemAsync(response, HttpStatusCode.Forbidden);
        Assert.Equal("CROSS_ORIGIN_REFUSED", problem.GetProperty("reason").GetString());
    }

    [Fact]
    public async Task Ping_FromTheGatewaysOwnOrigin_Ok()
    {
        using var coa = Host.RestClient("coa");
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/ping");
        request.Headers.Add("Origin", coa.BaseAddress!.GetLeftPart(UriPartial.Authority));

        using var response = await coa.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Get_UnknownPath_404Problem()
    {
        using var coa = Host.RestClient("coa");

        using var response = await coa.GetAsync("/v1/no-such-thing");

        await ProblemAsync(response, HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task PostArrivals_Ok_AuditedLikeTheGrpcCall()
    {
        using var coa = Host.RestClient("coa");
        var details = TestArrivals.Family("0014");

        using var response = await coa.PostAsync("/v1/arrivals", Announcement(details));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await using var db = Host.Db();
        var key = Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<Server.Audit.AuditKey>(Host.Services);
        var records = await new Server.Audit.AuditQuery(Subject: details.Travellers[0].VNumber).RunAsync(db, key, CancellationToken.None);
        var record = Assert.Single(records);
        Assert.Equal("/exchange.v1.ArrivalService/AnnounceArrival", record.Operation);
        Assert.Equal("coa", record.OrganisationId);
        Assert.Equal("OK", record.Outcome);
    }
}
