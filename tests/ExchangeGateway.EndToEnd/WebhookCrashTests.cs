using ExchangeGateway.Contracts.V1;
using ExchangeGateway.EndToEnd.Fixtures;
using ExchangeGateway.Tests.Shared;

namespace ExchangeGateway.EndToEnd;

/// <summary>A webhook delivery cut by SIGKILL of the real gateway process: the notice was posted,
/// the receiver had not answered, so nothing was acknowledged; after the restart it is posted again
/// (same webhook-id, so the receiver can tell) and its 2xx acknowledges it.</summary>
public sealed class WebhookCrashTests
{
    [Fact]
    public async Task Post_GatewaySigkilledWhileReceiverAnswers_PostedAgainAfterRestartAndAcknowledged()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var first = true;
        receiver.Answer = _ => Interlocked.Exchange(ref first, false) ? (204, null, TimeSpan.FromMinutes(5)) : (204, null, TimeSpan.Zero);
        await using var gateway = await TestGateway.StartAsync(arguments:
        [
            $"--Gateway:OrganisationRegistryPath={receiver.Registry()}",
            "--Gateway:Webhooks:AllowedNetworks:0=127.0.0.0/8",
            "--Gateway:Webhooks:AllowedNetworks:1=::1/128",
            "--Gateway:Webhooks:RequestTimeout=00:10:00",
        ]);
        using var coa = gateway.ClientFor("coa");

        var arrival = await coa.AnnounceArrivalAsync(TestArrivals.Family("0014", 1));
        await Until.TrueAsync(() => Task.FromResult(receiver.Received.Any(r => r.Subject == arrival.ArrivalId)), "the announcement was posted");
        gateway.Kill();
        await gateway.RestartAsync();

        using var afterRestart = gateway.ClientFor("coa");
        await Until.TrueAsync(async () => (await afterRestart.GetArrivalAsync(arrival.ArrivalId)).State == ArrivalState.Acknowledged,
            "the webhook's 2xx after the restart acknowledged the announcement", TimeSpan.FromSeconds(60));
        var posts = receiver.Received.Where(r => r.Subject == arrival.ArrivalId && r.Type == "nl.asielketen.aankomst-aangekondigd").ToList();
        Assert.Equal(2, posts.Count);
        Assert.Single(posts.Select(p => p.Id).Distinct());
        Assert.All(posts, p => Assert.True(p.SignatureValid));
    }
}
