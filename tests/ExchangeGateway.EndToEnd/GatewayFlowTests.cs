using ExchangeGateway.Client;
using ExchangeGateway.Client.Connection;
using ExchangeGateway.Client.Feed;
using ExchangeGateway.Client.Resilience;
using ExchangeGateway.Contracts.V1;
using ExchangeGateway.EndToEnd.Fixtures;
using ExchangeGateway.Server.Identity;
using ExchangeGateway.Server.Rules;
using ExchangeGateway.Tests.Shared;
using Grpc.Core;

namespace ExchangeGateway.EndToEnd;

/// <summary>The real exgw process on Kestrel, called over mutual TLS with the SDK: the whole chain,
/// certificates from another CA, feeds of other municipalities, and a SIGKILL in the middle.</summary>
public sealed class GatewayFlowTests(GatewayProcessFixture fixture) : IClassFixture<GatewayProcessFixture>
{
    private const string Announced = "nl.asielketen.aankomst-aangekondigd";
    private const string AnnouncementReceived = "nl.asielketen.aankondiging-ontvangen";
    private const string Departed = "nl.asielketen.vertrek-gemeld";
    private const string Arrived = "nl.asielketen.aankomst-gemeld";
    private const string RegistrationReported = "nl.asielketen.inschrijving-gemeld";
    private const string BsnAssigned = "nl.asielketen.bsn-toegekend";

    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private GatewayProcess Gateway => fixture.Gateway;

    [Fact]
    public async Task ArrivalFlow_OverKestrelMutualTls_CompletesAndEveryPartyIsTold()
    {
        using var coa = Gateway.ClientFor("coa");
        using var amsterdam = Gateway.ClientFor("gemeente-amsterdam");
        using var ind = Gateway.ClientFor("ind");

        var toAmsterdam = await coa.AnnounceArrivalAsync(TestArrivals.Family("0363", travellers: 2));
        var toUtrecht = await coa.AnnounceArrivalAsync(TestArrivals.Family("0344", travellers: 1));
        Assert.Equal(ArrivalState.Announced, toAmsterdam.State);
        var id = toAmsterdam.ArrivalId;

        await using var amsterdamFeed = new FeedProbe(amsterdam);
        await using var coaFeed = new FeedProbe(coa, acknowledgeEverything: true);
        await using var indFeed = new FeedProbe(ind, acknowledgeEverything: true);

        // Amsterdam receives its announcement and acknowledges it; COA is told it was received.
        var announcement = await amsterdamFeed.WaitForAsync(Announced, id);
        Assert.Equal(toAmsterdam.Details, announcement.Notice.ArrivalAnnounced.Details);
        await announcement.AcknowledgeAsync().WaitAsync(Timeout);
        var receipt = await coaFeed.WaitForAsync(AnnouncementReceived, id);
        Assert.Equal("0363", receipt.Notice.AnnouncementReceived.MunicipalityCode);
        Assert.Equal(toAmsterdam.Details.CaseReference, receipt.Notice.AnnouncementReceived.CaseReference);
        Assert.Equal(ArrivalState.Acknowledged, (await coa.GetArrivalAsync(id)).State);

        // COA reports departure and arrival; Amsterdam hears of both.
        Assert.Equal(ArrivalState.Departed, (await coa.ReportDepartureAsync(id)).State);
        Assert.Equal(ArrivalState.Arrived, (await coa.ReportTravellersArrivedAsync(id)).State);
        var departed = await amsterdamFeed.WaitForAsync(Departed, id);
        await departed.AcknowledgeAsync().WaitAsync(Timeout);
        var arrived = await amsterdamFeed.WaitForAsync(Arrived, id);
        await arrived.AcknowledgeAsync().WaitAsync(Timeout);

        // Amsterdam's feed carried only Amsterdam's arrivals (everything committed up to the arrival
        // report has been read), never Utrecht's.
        Assert.DoesNotContain(amsterdamFeed.Seen, n => n.Subject == toUtrecht.ArrivalId);
        Assert.All(amsterdamFeed.Seen.Where(n => n.ArrivalAnnounced is not null),
            n => Assert.Equal("0363", n.ArrivalAnnounced.Details.MunicipalityCode));
        Assert.Equal("municipality:0363", (await amsterdamFeed.OpenedAsync()).Feed);

        // Amsterdam registers the travellers in the BRP today and reports their BSNs.
        var today = TestArrivals.ToDate(AmsterdamCalendar.Today(TimeProvider.System));
        var registered = await amsterdam.ReportRegistrationAsync(id, toAmsterdam.Details.Travellers.Select(t => new TravellerRegistration
        {
            VNumber = t.VNumber,
            Status = RegistrationStatus.Registered,
            RegisteredOn = today,
        }));
        Assert.All(registered.Travellers, t => Assert.Equal(RegistrationStatus.Registered, t.RegistrationStatus));
        var bsns = toAmsterdam.Details.Travellers.ToDictionary(t => t.VNumber, _ => TestArrivals.NewBsn());
        await amsterdam.ReportBsnAssignedAsync(id, bsns.Select(b => new BsnAssignment { VNumber = b.Key, Bsn = b.Value }));

        // COA and the IND are told of the registration and of the BSNs.
        foreach (var feed in new[] { coaFeed, indFeed })
        {
            var registration = await feed.WaitForAsync(RegistrationReported, id);
            Assert.Equal("0363", registration.Notice.RegistrationReported.MunicipalityCode);
            Assert.All(registration.Notice.RegistrationReported.Travellers, t =>
            {
                Assert.Equal(RegistrationStatus.Registered, t.RegistrationStatus);
                Assert.Equal(today, t.RegisteredOn);
            });
            var bsn = await feed.WaitForAsync(BsnAssigned, id);
            Assert.Equal(bsns.OrderBy(b => b.Key), bsn.Notice.BsnAssigned.Travellers.ToDictionary(t => t.VNumber, t => t.Bsn).OrderBy(b => b.Key));
        }
        Assert.DoesNotContain(indFeed.Seen, n => n.ArrivalAnnounced is not null); // the IND gets V-numbers, not details

        // The nareizigers report to the IND, which completes the arrival.
        foreach (var traveller in toAmsterdam.Details.Travellers)
        {
            await ind.ReportCheckInAsync(traveller.VNumber);
        }

        var final = await coa.GetArrivalAsync(id);
        Assert.Equal(ArrivalState.Completed, final.State);
        Assert.All(final.Travellers, t =>
        {
            Assert.Equal(RegistrationStatus.Registered, t.RegistrationStatus);
            Assert.Equal(bsns[t.VNumber], t.Bsn);
        });
        Assert.NotNull(final.AcknowledgedAt);
        Assert.NotNull(final.DepartedAt);
        Assert.NotNull(final.ArrivedAt);
    }

    [Fact]
    public async Task AnnounceArrival_ClientCertificateFromForeignCa_IsRefusedAndNothingStored()
    {
        // Same subject and OIN as the real COA, issued by a CA the gateway does not trust. The
        // impostor trusts the real server, so only its own certificate can be the problem.
        var foreign = GatewayConnectionOptions.FromPem(Gateway.Address,
            DevCertificateAuthority.CertificatePath(TestPki.ForeignDirectory, "coa"),
            DevCertificateAuthority.KeyPath(TestPki.ForeignDirectory, "coa"),
            TestPki.CaPath);
        using var impostor = new GatewayClient(foreign, new GatewayResilienceOptions { MaxRetryAttempts = 1, BaseDelay = TimeSpan.FromMilliseconds(10) });
        var details = TestArrivals.Family("0363");

        var refusal = await Record.ExceptionAsync(() => impostor.AnnounceArrivalAsync(details));

        // A refusal the client recognises, not an outage to retry: UNAUTHENTICATED with the reason.
        var refused = Assert.IsType<RpcException>(refusal);
        Assert.True(refused.StatusCode == StatusCode.Unauthenticated, $"Expected UNAUTHENTICATED, got: {refused}\n{Gateway.RecentOutput}");
        Assert.Contains("not trusted", refused.Status.Detail, StringComparison.Ordinal);
        using var coa = Gateway.ClientFor("coa");
        var stored = await coa.ListArrivalsAsync(new ListArrivalsRequest { CaseReference = details.CaseReference });
        Assert.Empty(stored.Arrivals);

        // The same request from the real COA is accepted: it was the certificate, not the request.
        var accepted = await coa.AnnounceArrivalAsync(details);
        Assert.Equal(details.CaseReference, accepted.Details.CaseReference);
    }

    [Fact]
    public async Task Subscribe_OtherMunicipalitysFeed_PermissionDeniedAndOwnFeedNeverCarriesIt()
    {
        using var coa = Gateway.ClientFor("coa");
        using var utrecht = Gateway.ClientFor("gemeente-utrecht");
        var toAmsterdam = await coa.AnnounceArrivalAsync(TestArrivals.Family("0363"));

        await using (var intruder = new FeedProbe(utrecht, new SubscriptionOptions { MunicipalityCode = "0363" }))
        {
            var denied = await Assert.ThrowsAsync<RpcException>(() => intruder.NextAsync());
            Assert.Equal(StatusCode.PermissionDenied, denied.StatusCode);
            Assert.Empty(intruder.Seen);
        }
        var notFound = await Assert.ThrowsAsync<RpcException>(() => utrecht.GetArrivalAsync(toAmsterdam.ArrivalId));
        Assert.Equal(StatusCode.NotFound, notFound.StatusCode);

        // Utrecht's own feed, read up to an announcement committed after Amsterdam's: Amsterdam's
        // announcement would have come before it.
        var toUtrecht = await coa.AnnounceArrivalAsync(TestArrivals.Family("0344"));
        await using var own = new FeedProbe(utrecht, acknowledgeEverything: true);
        var mine = await own.WaitForAsync(Announced, toUtrecht.ArrivalId);
        Assert.Equal(toUtrecht.Details.CaseReference, mine.Notice.ArrivalAnnounced.Details.CaseReference);
        Assert.Equal("municipality:0344", (await own.OpenedAsync()).Feed);
        Assert.DoesNotContain(own.Seen, n => n.Subject == toAmsterdam.ArrivalId);
        Assert.All(own.Seen.Where(n => n.ArrivalAnnounced is not null),
            n => Assert.Equal("0344", n.ArrivalAnnounced.Details.MunicipalityCode));
    }

    [Fact]
    public async Task Subscribe_AfterSigkillAndRestart_DeliversExactlyTheUnacknowledgedNotice()
    {
        // Its own gateway: this test kills it.
        await using var gateway = await TestGateway.StartAsync();
        var announced = new List<Arrival>();
        using (var coa = gateway.ClientFor("coa"))
        {
            for (var i = 0; i < 3; i++)
            {
                announced.Add(await coa.AnnounceArrivalAsync(TestArrivals.Family("0014", travellers: 1)));
            }
        }

        var groningen = gateway.ClientFor("gemeente-groningen");
        var feed = new FeedProbe(groningen);
        var received = new[] { await feed.NextAsync(), await feed.NextAsync(), await feed.NextAsync() };
        Assert.Equal(announced.Select(a => a.ArrivalId), received.Select(r => r.Notice.Subject));
        Assert.Equal([1UL, 2UL, 3UL], received.Select(r => r.Notice.Sequence));
        // Completes only on the gateway's AcknowledgementsConfirmed: durable from here on.
        await received[0].AcknowledgeAsync().WaitAsync(Timeout);
        await received[1].AcknowledgeAsync().WaitAsync(Timeout);

        // SIGKILL with the stream still open, then start again on the same database.
        gateway.Kill();
        await feed.DisposeAsync();
        groningen.Dispose();
        await gateway.RestartAsync();

        using var groningenAgain = gateway.ClientFor("gemeente-groningen");
        await using var again = new FeedProbe(groningenAgain);
        var opened = await again.OpenedAsync();
        Assert.Equal(1UL, opened.UnacknowledgedCount);
        Assert.Equal(3UL, opened.HeadSequence);
        var redelivered = await again.NextAsync();
        Assert.Equal(received[2].Notice.NoticeId, redelivered.Notice.NoticeId);
        Assert.Equal(3UL, redelivered.Notice.Sequence);
        Assert.Equal(announced[2].ArrivalId, redelivered.Notice.Subject);

        // Nothing acknowledged comes back: the next notice is a new announcement.
        using var coaAgain = gateway.ClientFor("coa");
        var fourth = await coaAgain.AnnounceArrivalAsync(TestArrivals.Family("0014", travellers: 1));
        var next = await again.NextAsync();
        Assert.Equal(fourth.ArrivalId, next.Notice.Subject);
        Assert.Equal(4UL, next.Notice.Sequence);
        Assert.Equal([3UL, 4UL], again.Seen.Select(n => n.Sequence));
    }

    [Fact]
    public async Task NoticeSubscriber_GatewayKilledMidStream_ReconnectsAndKeepsAcknowledging()
    {
        // Its own gateway: this test kills it. The SDK subscriber stays open across the restart.
        await using var gateway = await TestGateway.StartAsync();
        using var coa = gateway.ClientFor("coa");
        using var groningen = gateway.ClientFor("gemeente-groningen");
        var first = await coa.AnnounceArrivalAsync(TestArrivals.Family("0014", travellers: 1));
        var second = await coa.AnnounceArrivalAsync(TestArrivals.Family("0014", travellers: 1));
        await using var feed = new FeedProbe(groningen, new SubscriptionOptions { ReconnectMaxDelay = TimeSpan.FromSeconds(1) });
        var one = await feed.NextAsync();
        var two = await feed.NextAsync();
        Assert.Equal([first.ArrivalId, second.ArrivalId], new[] { one.Notice.Subject, two.Notice.Subject });
        await one.AcknowledgeAsync().WaitAsync(Timeout);

        var port = gateway.Port;
        gateway.Kill();
        await gateway.RestartAsync();
        Assert.True(gateway.Port == port, $"Port {port} was taken while the gateway was down, so the subscriber cannot follow it.");

        // The notice handed out before the kill can still be acknowledged: the subscriber reconnects
        // and the gateway confirms it.
        await two.AcknowledgeAsync().WaitAsync(Timeout);
        var third = await coa.AnnounceArrivalAsync(TestArrivals.Family("0014", travellers: 1));
        var three = await feed.NextAsync();
        Assert.Equal(third.ArrivalId, three.Notice.Subject);
        Assert.True(feed.Subscriber.Connections >= 2, $"Connections: {feed.Subscriber.Connections}");
        Assert.Equal([1UL, 2UL, 3UL], feed.Seen.Select(n => n.Sequence));
    }
}
