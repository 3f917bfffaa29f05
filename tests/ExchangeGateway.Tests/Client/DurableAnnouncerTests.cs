using ExchangeGateway.Client;
using ExchangeGateway.Client.Arrivals;
using ExchangeGateway.Client.Connection;
using ExchangeGateway.Client.Resilience;
using ExchangeGateway.Tests.Fixtures;
using ExchangeGateway.Tests.Shared;
using Microsoft.EntityFrameworkCore;

namespace ExchangeGateway.Tests.Client;

public sealed class DurableAnnouncerTests(GatewayHostFixture fixture) : IClassFixture<GatewayHostFixture>
{
    private GatewayHost Host => fixture.Host;

    [Fact]
    public async Task DrainAsync_GatewayUnreachableThenBack_EverythingArrivesOnceAfterReopening()
    {
        var outbox = Path.Combine(Directory.CreateTempSubdirectory("exgw-outbox-").FullName, "coa-outbox.db");
        var arrivals = Enumerable.Range(0, 10).Select(_ => TestArrivals.Family("0363", travellers: 1)).ToList();
        var requestIds = new List<string>();

        // COA's process stores its announcements while the gateway cannot be reached, then dies.
        using (var unreachable = new GatewayClient(GatewayConnectionOptions.FromPem(new Uri("https://127.0.0.1:9"),
            TestPki.CertificatePath("coa"), TestPki.KeyPath("coa"), TestPki.CaPath),
            new GatewayResilienceOptions { MaxRetryAttempts = 1, BaseDelay = TimeSpan.FromMilliseconds(1) }))
        await using (var announcer = await DurableAnnouncer.OpenAsync(unreachable, outbox))
        {
            foreach (var arrival in arrivals)
            {
                requestIds.Add(await announcer.EnqueueAsync(arrival));
            }
            Assert.Equal(0, await announcer.DrainAsync());
            Assert.Equal(10, await announcer.CountAsync("pending"));
        }

        // Restarted, with the gateway back: the same request_ids are sent, and enqueuing again is a no-op.
        await using var restarted = await DurableAnnouncer.OpenAsync(Host.ClientFor("coa"), outbox);
        for (var i = 0; i < arrivals.Count; i++)
        {
            await restarted.EnqueueAsync(arrivals[i], requestIds[i]);
        }
        Assert.Equal(10, await restarted.DrainAsync());
        Assert.Equal(0, await restarted.DrainAsync());

        Assert.Equal(10, await restarted.CountAsync("confirmed"));
        await using var db = Host.Db();
        var references = arrivals.Select(a => a.CaseReference).ToList();
        Assert.Equal(10, await db.Arrivals.CountAsync(a => references.Contains(a.CaseReference)));
        Assert.NotNull(await restarted.ArrivalIdAsync(requestIds[0]));
    }

    [Fact]
    public async Task DrainAsync_InvalidAnnouncement_IsKeptAsRefusedAndOthersStillGo()
    {
        var outbox = Path.Combine(Directory.CreateTempSubdirectory("exgw-outbox-").FullName, "coa-outbox.db");
        await using var announcer = await DurableAnnouncer.OpenAsync(Host.ClientFor("coa"), outbox);
        var invalid = TestArrivals.Family();
        invalid.MunicipalityCode = "9999";
        await announcer.EnqueueAsync(invalid);
        await announcer.EnqueueAsync(TestArrivals.Family());

        Assert.Equal(1, await announcer.DrainAsync());

        Assert.Equal(1, await announcer.CountAsync("refused"));
        Assert.Equal(0, await announcer.CountAsync("pending"));
    }
}
