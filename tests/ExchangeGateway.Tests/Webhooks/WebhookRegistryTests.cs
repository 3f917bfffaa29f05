using ExchangeGateway.Server.Identity;
using ExchangeGateway.Server.Webhooks;

namespace ExchangeGateway.Tests.Webhooks;

/// <summary>Webhook subscriptions in the organisation registry: only the operator sets them, and a
/// wrong one keeps the gateway from starting (or a reload from taking effect).</summary>
public sealed class WebhookRegistryTests : IDisposable
{
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("exgw-webhook-registry-");

    public void Dispose() => _directory.Delete(recursive: true);

    private string Write(string webhook, string secret = "")
    {
        File.WriteAllText(Path.Combine(_directory.FullName, "utrecht.secret"), secret.Length > 0 ? secret : WebhookSecret.Create());
        var path = Path.Combine(_directory.FullName, "organisations.json");
        File.WriteAllText(path, $$"""
            { "organisations": [
              { "id": "gemeente-utrecht", "role": "Municipality", "oins": ["00000099000003440000"], "municipalityCodes": ["0344"],
                "webhooks": [ {{webhook}} ] } ] }
            """);
        return path;
    }

    [Fact]
    public void Load_Webhook_ReadsFeedUrlSecretAndSettings()
    {
        var secret = WebhookSecret.Create();
        var path = Write("""{ "municipalityCode": "0344", "url": "https://brp.utrecht.example/exgw", "secretPath": "utrecht.secret", "concurrency": 2, "content": "Full" }""", secret);

        var (organisation, endpoint) = OrganisationRegistry.Load(path).Webhooks.Single();

        Assert.Equal("gemeente-utrecht", organisation.Id);
        Assert.Equal("municipality:0344", endpoint.Feed);
        Assert.Equal(new Uri("https://brp.utrecht.example/exgw"), endpoint.Url);
        Assert.Equal(WebhookSecret.Parse(secret), endpoint.Secret);
        Assert.Equal(2, endpoint.Concurrency);
        Assert.Equal(WebhookContent.Full, endpoint.Content);
    }

    [Fact]
    public void Save_RegistryWithWebhook_KeepsIt()
    {
        var path = Write("""{ "municipalityCode": "0344", "url": "https://brp.utrecht.example/exgw", "secretPath": "utrecht.secret" }""");
        var copy = Path.Combine(_directory.FullName, "copy.json");

        OrganisationRegistry.Load(path).Save(copy);

        var endpoint = OrganisationRegistry.Load(copy).Webhooks.Single().Endpoint;
        Assert.Equal("municipality:0344", endpoint.Feed);
        Assert.Equal("utrecht.secret", endpoint.SecretPath);
        Assert.Equal(WebhookContent.Thin, endpoint.Content);
    }

    [Theory]
    [InlineData("""{ "municipalityCode": "0344", "url": "http://brp.utrecht.example/exgw", "secretPath": "utrecht.secret" }""", "https://")]
    [InlineData("""{ "municipalityCode": "0344", "url": "https://user:pw@brp.utrecht.example/exgw", "secretPath": "utrecht.secret" }""", "user name")]
    [InlineData("""{ "municipalityCode": "0363", "url": "https://brp.utrecht.example/exgw", "secretPath": "utrecht.secret" }""", "not a feed of this organisation")]
    [InlineData("""{ "municipalityCode": "0344", "url": "https://brp.utrecht.example/exgw", "secretPath": "utrecht.secret", "concurrency": 0 }""", "concurrency")]
    [InlineData("""{ "municipalityCode": "0344", "url": "https://brp.utrecht.example/exgw", "secretPath": "missing.secret" }""", "does not exist")]
    [InlineData("""{ "municipalityCode": "0344", "url": "https://brp.utrecht.example/exgw" }""", "secretPath")]
    [InlineData("""{ "url": "https://brp.utrecht.example/exgw", "secretPath": "utrecht.secret" }""", "municipalityCode")]
    [InlineData("""{ "municipalityCode": "0344", "url": "https://a.example/1", "secretPath": "utrecht.secret" }, { "municipalityCode": "0344", "url": "https://b.example/2", "secretPath": "utrecht.secret" }""", "two webhooks")]
    public void Load_WrongWebhook_RefusedNamingWhy(string webhook, string why)
    {
        var path = Write(webhook);

        var error = Assert.Throws<InvalidDataException>(() => OrganisationRegistry.Load(path));

        Assert.Contains(why, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_SecretNotStandardWebhooks_Refused()
    {
        var path = Write("""{ "municipalityCode": "0344", "url": "https://brp.utrecht.example/exgw", "secretPath": "utrecht.secret" }""", "hunter2");

        var error = Assert.Throws<InvalidDataException>(() => OrganisationRegistry.Load(path));

        Assert.Contains("whsec_", error.Message, StringComparison.Ordinal);
    }
}
