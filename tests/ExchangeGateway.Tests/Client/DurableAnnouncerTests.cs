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

    private static string NewOutbox() => Path.Combine(Directory.CreateTempSubdirectory("exgw-outbox-").FullName, "coa-outbox.db");

    [Fact]
    public async Task EnqueueAsync_SameRequestIdOtherArrival_RefusedAndTheFirstKept()
    {
        await using var announcer = await DurableAnnouncer.OpenAsync(Host.ClientFor("coa"), NewOutbox());
        var first = TestArrivals.Family("0363");
        var requestId = await announcer.EnqueueAsync(first);

        await announcer.EnqueueAsync(first, requestId); // the same again: a no-op
        var error = await Assert.ThrowsAsync<ArgumentException>(() => announcer.EnqueueAsync(TestArrivals.Family("0344"), requestId));

        Assert.Contains(requestId, error.Message, StringComparison.Ordinal);
        Assert.Equal(1, await announcer.DrainAsync());
        await using var db = Host.Db();
        Assert.Equal("0363", (await db.Arrivals.SingleAsync(a => a.CaseReference == first.CaseReference)).MunicipalityCode);
    }

    [Fact]
    public async Task DrainAsync_CallerRefused_EveryAnnouncementStaysPending()
    {
        // A municipality's certificate may not announce: that is about the caller, not the announcements.
        var outbox = NewOutbox();
        await using (var refused = await DurableAnnouncer.OpenAsync(Host.ClientFor("gemeente-amsterdam"), outbox))
        {
            for (var i = 0; i < 3; i++)
            {
                await refused.EnqueueAsync(TestArrivals.Family("0363"));
            }

            Assert.Equal(0, await refused.DrainAsync());
            Assert.Equal(3, await refused.CountAsync("pending"));
            Assert.Equal(0, await refused.CountAsync("refused"));
        }

        await using var coa = await DurableAnnouncer.OpenAsync(Host.ClientFor("coa"), outbox);
        Assert.Equal(3, await coa.DrainAsync());
    }

    [Fact]
    public async Task DrainAsync_OneAnnouncementAnsweredInternal_TheOthersStillGoAndItIsRefusedAfterTheLimit()
    {
        const string poison = "POISON-CASE";
        var handler = new AnswerInternalFor(poison, Host.Handler(TestPki.Client("coa")));
        using var channel = Host.ChannelOver(handler);
        using var client = new GatewayClient(channel, new GatewayResilienceOptions { BaseDelay = TimeSpan.FromMilliseconds(1), MaxRetryAttempts = 1 });
        await using var announcer = await DurableAnnouncer.OpenAsync(client, NewOutbox());
        var poisoned = TestArrivals.Family("0363");
        poisoned.CaseReference = poison + "-" + Guid.NewGuid().ToString("N")[..8];
        await announcer.EnqueueAsync(poisoned);
        await announcer.EnqueueAsync(TestArrivals.Family("0363"));
        await announcer.EnqueueAsync(TestArrivals.Family("0344"));

        Assert.Equal(2, await announcer.DrainAsync());
        Assert.Equal(1, await announcer.CountAsync("pending"));
        for (var pass = 1; pass < DurableAnnouncer.MaxServerFaults; pass++)
        {
            Assert.Equal(0, await announcer.DrainAsync());
        }

        Assert.Equal(0, await announcer.CountAsync("pending"));
        var (_, reason) = Assert.Single(await announcer.RefusedAsync());
        Assert.StartsWith("Internal", reason, StringComparison.Ordinal);
    }

    /// <summary>Answers, as the gateway would for a fault of its own, INTERNAL (trailers-only) to any
    /// call whose request contains <paramref name="marker"/>; passes the rest on.</summary>
    private sealed class AnswerInternalFor(string marker, HttpMessageHandler inner) : DelegatingHandler(inner)
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var body = request.Content is null ? [] : await request.Content.ReadAsByteArrayAsync(cancellationToken);
            if (!System.Text.Encoding.UTF8.GetString(body).Contains(marker, StringComparison.Ordinal))
            {
                var copy = new ByteArrayContent(body);
                foreach (var header in request.Content!.Headers)
                {
                    copy.Headers.TryAddWithoutValidation(header.Key, header.Value);
                }
                request.Content = copy;
                return await base.SendAsync(request, cancellationToken);
            }
            var response = new HttpResponseMessage(System.Net.HttpStatusCode.OK) { RequestMessage = request, Version = request.Version, Content = new ByteArrayContent([]) };
            response.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/grpc");
            response.Headers.Add("grpc-status", "13");
            response.Headers.Add("grpc-message", "Exception was thrown by handler.");
            return response;
        }
    }
}
