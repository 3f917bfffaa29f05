using System.Net;
using System.Net.Http.Headers;
using ExchangeGateway.Client;
using ExchangeGateway.Client.Connection;
using Grpc.Core;

namespace ExchangeGateway.EndToEnd.Dashboard;

/// <summary>Who gets what from the dashboard's port, over real TLS with and without certificates.</summary>
[Collection(DashboardCollection.Name)]
public sealed class DashboardAccessTests(DashboardFixture dashboard)
{
    [Theory]
    [InlineData("/")]
    [InlineData("/aanmelden")]
    [InlineData("/assets/app.js")]
    [InlineData("/kaart.svg")]
    [InlineData("/v1/overview")]
    public async Task Request_WithoutClientCertificate_GetsNothing(string path)
    {
        // The server is checked against the test CA as usual; the client presents no certificate.
        using var handler = GatewayChannel.CreateHandler(dashboard.ConnectionFor("ketenregie"));
        handler.SslOptions.ClientCertificates = null;
        using var client = new HttpClient(handler) { BaseAddress = dashboard.Dashboard };

        using var response = await client.GetAsync(path);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync();
        Assert.Contains("CLIENT_CERTIFICATE_REQUIRED", body, StringComparison.Ordinal);
        Assert.DoesNotContain("Ketendashboard", body, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/")]
    [InlineData("/gemeenten/0344")]
    public async Task Page_WithoutSession_RedirectsToSignIn(string path)
    {
        using var client = Client("ketenregie");

        using var response = await client.GetAsync(path);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/aanmelden", response.Headers.Location?.OriginalString);
    }

    [Fact]
    public async Task Api_WithoutSession_Unauthorized()
    {
        using var client = Client("ketenregie");

        using var response = await client.GetAsync("/v1/overview");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task SignIn_FromAnotherOrigin_Refused()
    {
        using var client = Client("ketenregie");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/aanmelden") { Content = new FormUrlEncodedContent([new("naam", "Anna de Vries")]) };
        request.Headers.Add("Origin", "https://elders.example");

        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.False(response.Headers.Contains("Set-Cookie"));
    }

    [Fact]
    public async Task SignIn_OrganisationOutsideTheDashboard_Refused()
    {
        using var client = Client("ind");

        using var response = await client.GetAsync("/aanmelden");

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Fact]
    public async Task Page_EveryAnswer_CarriesAStrictContentSecurityPolicy()
    {
        using var client = Client("ketenregie");

        using var response = await client.GetAsync("/aanmelden");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var policy = string.Join(' ', response.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("default-src 'none'", policy, StringComparison.Ordinal);
        Assert.Contains("script-src 'self'", policy, StringComparison.Ordinal);
        Assert.Contains("frame-ancestors 'none'", policy, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Grpc_OnTheDashboardPort_NotServed()
    {
        var connection = dashboard.ConnectionFor("ketenregie");
        using var client = new GatewayClient(connection, Fixtures.TestGateway.QuickRetries);

        var refused = await Assert.ThrowsAsync<RpcException>(() => client.PingAsync());

        Assert.Equal(StatusCode.Unimplemented, refused.StatusCode);
    }

    private HttpClient Client(string organisation)
    {
        var handler = GatewayChannel.CreateHandler(dashboard.ConnectionFor(organisation));
        handler.AllowAutoRedirect = false;
        var client = new HttpClient(handler) { BaseAddress = dashboard.Dashboard };
        client.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("text/html"));
        return client;
    }
}
