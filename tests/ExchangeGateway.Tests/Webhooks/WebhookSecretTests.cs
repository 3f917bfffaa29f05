using System.Text;
using ExchangeGateway.Client.Webhooks;
using ExchangeGateway.Server.Webhooks;
using Microsoft.Extensions.Time.Testing;

namespace ExchangeGateway.Tests.Webhooks;

/// <summary>The gateway's signing against the SDK's verifier (two implementations of Standard Webhooks),
/// and the standard's own example.</summary>
public sealed class WebhookSecretTests
{
    private static readonly byte[] Body = Encoding.UTF8.GetBytes("""{"specversion":"1.0","id":"n-1"}""");

    [Fact]
    public void Sign_StandardWebhooksExample_GivesItsSignature()
    {
        // The example of the Standard Webhooks specification.
        var key = WebhookSecret.Parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
        var signature = WebhookSecret.Sign(key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, Encoding.UTF8.GetBytes("""{"test": 2432232314}"""));

        Assert.Equal("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", signature);
    }

    [Fact]
    public void Verify_SignedByTheGateway_Accepted()
    {
        var secret = WebhookSecret.Create();
        var time = new FakeTimeProvider(DateTimeOffset.FromUnixTimeSeconds(1_800_000_000));
        var signature = WebhookSecret.Sign(WebhookSecret.Parse(secret), "n-1", 1_800_000_000, Body);

        Assert.True(new WebhookVerifier(secret, time: time).Verify("n-1", "1800000000", signature, Body));
    }

    [Fact]
    public void Verify_TamperedBodyOtherIdOrOtherSecret_Refused()
    {
        var secret = WebhookSecret.Create();
        var time = new FakeTimeProvider(DateTimeOffset.FromUnixTimeSeconds(1_800_000_000));
        var signature = WebhookSecret.Sign(WebhookSecret.Parse(secret), "n-1", 1_800_000_000, Body);
        var verifier = new WebhookVerifier(secret, time: time);

        Assert.False(verifier.Verify("n-1", "1800000000", signature, Encoding.UTF8.GetBytes("""{"specversion":"1.0","id":"n-2"}""")));
        Assert.False(verifier.Verify("n-2", "1800000000", signature, Body));
        Assert.False(verifier.Verify("n-1", "1800000001", signature, Body));
        Assert.False(new WebhookVerifier(WebhookSecret.Create(), time: time).Verify("n-1", "1800000000", signature, Body));
        Assert.False(verifier.Verify("n-1", "1800000000", "v1,not-base64!", Body));
        Assert.False(verifier.Verify("n-1", "1800000000", null, Body));
    }

    [Fact]
    public void Verify_TimestampOutsideTolerance_RefusedAsReplay()
    {
        var secret = WebhookSecret.Create();
        var time = new FakeTimeProvider(DateTimeOffset.FromUnixTimeSeconds(1_800_000_000));
        var signature = WebhookSecret.Sign(WebhookSecret.Parse(secret), "n-1", 1_800_000_000, Body);
        var verifier = new WebhookVerifier(secret, TimeSpan.FromMinutes(5), time);

        time.Advance(TimeSpan.FromMinutes(6));

        Assert.False(verifier.Verify("n-1", "1800000000", signature, Body));
    }

    [Fact]
    public void Verify_SeveralSignaturesDuringRotation_AnyValidOneCounts()
    {
        var secret = WebhookSecret.Create();
        var time = new FakeTimeProvider(DateTimeOffset.FromUnixTimeSeconds(1_800_000_000));
        var signature = WebhookSecret.Sign(WebhookSecret.Parse(secret), "n-1", 1_800_000_000, Body);

        Assert.True(new WebhookVerifier(secret, time: time).Verify("n-1", "1800000000", "v1,AAAA " + signature, Body));
    }

    [Theory]
    [InlineData("")]
    [InlineData("secret")]
    [InlineData("whsec_!!!")]
    public void Parse_NotAStandardWebhooksSecret_Empty(string text)
    {
        Assert.Empty(WebhookSecret.Parse(text));
    }
}
