using System.Text.Json;
using ExchangeGateway.Contracts.V1;
using ExchangeGateway.Server.Hosting;
using ExchangeGateway.Server.Webhooks;
using ExchangeGateway.Tests.Fixtures;
using ExchangeGateway.Tests.Shared;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Time.Testing;

namespace ExchangeGateway.Tests.Webhooks;

/// <summary>Webhook delivery against a real HTTPS receiver (Kestrel, mutual TLS): what is posted, what
/// counts as an acknowledgement, what is retried and what is parked.</summary>
public sealed class WebhookDeliveryTests
{
    private const string Feed = "municipality:0014";

    private static Task<GatewayHost> StartAsync(WebhookReceiver receiver, TimeProvider? time = null, WebhookContent content = WebhookContent.Thin,
        bool allowLoopback = true, Action<GatewayOptions>? configure = null) =>
        GatewayHost.StartAsync(time, configure: options =>
        {
            options.OrganisationRegistryPath = receiver.Registry(content: content);
            if (allowLoopback)
            {
                options.Webhooks.AllowedNetworks.Add("127.0.0.0/8");
                options.Webhooks.AllowedNetworks.Add("::1/128");
            }
            options.Webhooks.FirstRetryDelay = TimeSpan.FromMilliseconds(20);
            options.Webhooks.MaxRetryDelay = TimeSpan.FromMilliseconds(200);
            options.Webhooks.PublicBaseUrl = "https://exchange.example.nl";
            configure?.Invoke(options);
        });

    private static async Task<bool> AcknowledgedAsync(GatewayHost host, ulong sequence)
    {
        await using var db = host.Db();
        return await db.Notices.AnyAsync(n => n.FeedId == Feed && n.Sequence == (long)sequence && n.AcknowledgedAt != null);
    }

    [Fact]
    public async Task Announce_WebhookMunicipality_PostsSignedThinCloudEventAnd2xxAcknowledges()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var host = await StartAsync(receiver);

        var arrival = await host.AnnounceAsync(TestArrivals.Family("0014", 1));

        await Eventually.TrueAsync(() => Task.FromResult(!receiver.Received.IsEmpty), "the receiver got the announcement");
        var received = receiver.Received.First();
        Assert.True(received.SignatureValid);
        Assert.StartsWith("application/cloudevents+json", received.ContentType, StringComparison.Ordinal);
        Assert.Contains("exchange-gateway", received.ClientSubject, StringComparison.Ordinal);
        var cloudEvent = received.Event;
        Assert.Equal("1.0", cloudEvent.GetProperty("specversion").GetString());
        Assert.Equal("nl.asielketen.aankomst-aangekondigd", received.Type);
        Assert.Equal(arrival.ArrivalId, received.Subject);
        Assert.Equal(received.Id, cloudEvent.GetProperty("id").GetString());
        Assert.StartsWith("urn:nld:oin:", cloudEvent.GetProperty("source").GetString(), StringComparison.Ordinal);
        Assert.Equal($"https://exchange.example.nl/v1/arrivals/{arrival.ArrivalId}", cloudEvent.GetProperty("dataref").GetString());
        Assert.False(cloudEvent.TryGetProperty("data", out _)); // thin: nothing personal leaves unasked
        await Eventually.TrueAsync(() => AcknowledgedAsync(host, received.Sequence), "the 2xx is a durable acknowledgement");
        await Eventually.TrueAsync(async () => (await host.GetAsync(arrival.ArrivalId)).State == ArrivalState.Acknowledged, "COA sees the arrival received");
    }

    [Fact]
    public async Task Announce_FullContent_CarriesTheNoticeAsData()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var host = await StartAsync(receiver, content: WebhookContent.Full);

        var arrival = await host.AnnounceAsync(TestArrivals.Family("0014", 1));

        await Eventually.TrueAsync(() => Task.FromResult(!receiver.Received.IsEmpty), "the receiver got the announcement");
        var data = receiver.Received.First().Event.GetProperty("data");
        Assert.Equal(arrival.ArrivalId, data.GetProperty("arrivalAnnounced").GetProperty("arrivalId").GetString());
        Assert.Equal(arrival.Details.Travellers[0].VNumber,
            data.GetProperty("arrivalAnnounced").GetProperty("details").GetProperty("travellers")[0].GetProperty("vNumber").GetString());
    }

    [Fact]
    public async Task Post_ServerErrorsThenSuccess_RetriedUntilAcknowledged()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var calls = 0;
        receiver.Answer = _ => Interlocked.Increment(ref calls) <= 3 ? (503, null, TimeSpan.Zero) : (200, null, TimeSpan.Zero);
        await using var host = await StartAsync(receiver);

        await host.AnnounceAsync(TestArrivals.Family("0014", 1));

        await Eventually.TrueAsync(() => AcknowledgedAsync(host, 1), "acknowledged after the receiver recovered");
        var attempts = receiver.Received.Where(r => r.Sequence == 1).ToList();
        Assert.Equal(4, attempts.Count);
        Assert.Single(attempts.Select(a => a.Id).Distinct()); // the same webhook-id on every retry
    }

    [Fact]
    public async Task Post_SlowReceiver_TimesOutAndIsRetried()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var calls = 0;
        receiver.Answer = _ => Interlocked.Increment(ref calls) == 1 ? (200, null, TimeSpan.FromSeconds(30)) : (200, null, TimeSpan.Zero);
        await using var host = await StartAsync(receiver, configure: o => o.Webhooks.RequestTimeout = TimeSpan.FromMilliseconds(300));

        await host.AnnounceAsync(TestArrivals.Family("0014", 1));

        await Eventually.TrueAsync(() => AcknowledgedAsync(host, 1), "acknowledged by the second, quick answer");
        Assert.True(receiver.Received.Count >= 2);
    }

    [Fact]
    public async Task Post_UnreliableReceiverThenRecovers_EveryNoticeTakenOnceInPerArrivalOrderAndAcknowledged()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var random = new Random(20261202);
        var accepted = new List<ReceivedWebhook>();
        var answered = 0;
        receiver.Answer = received =>
        {
            lock (accepted)
            {
                // Unreliable for its first 40 answers, then it recovers.
                var roll = ++answered > 40 ? 99 : random.Next(100);
                switch (roll)
                {
                    case < 35:
                        return (500, null, TimeSpan.Zero);
                    case < 50:
                        return (429, 1, TimeSpan.Zero);
                    case < 60:
                        return (204, null, TimeSpan.FromSeconds(5)); // past the gateway's time limit: not taken
                    default:
                        // Taken in: a receiver de-duplicates by webhook-id, so a second post of a taken id is no news.
                        if (!accepted.Exists(a => a.Id == received.Id))
                        {
                            accepted.Add(received);
                        }
                        return (204, null, TimeSpan.Zero);
                }
            }
        };
        await using var host = await StartAsync(receiver, configure: o => o.Webhooks.RequestTimeout = TimeSpan.FromMilliseconds(300));

        var arrivals = new List<Arrival>();
        for (var i = 0; i < 4; i++)
        {
            var arrival = await host.AnnounceAsync(TestArrivals.Family("0014", 1));
            var amended = arrival.Details.Clone();
            amended.ExpectedArrivalDate = TestArrivals.ToDate(new DateOnly(amended.ExpectedArrivalDate.Year, amended.ExpectedArrivalDate.Month, amended.ExpectedArrivalDate.Day).AddDays(2));
            await host.Arrivals().AmendArrivalAsync(new AmendArrivalRequest { RequestId = ArrivalSteps.NewRequestId(), ArrivalId = arrival.ArrivalId, Arrival = amended });
            await host.Arrivals().ReportDepartureAsync(new ReportDepartureRequest { RequestId = ArrivalSteps.NewRequestId(), ArrivalId = arrival.ArrivalId });
            arrivals.Add(arrival);
        }
        await Eventually.TrueAsync(async () =>
        {
            await using var db = host.Db();
            return !await db.Notices.AnyAsync(n => n.FeedId == Feed && n.AcknowledgedAt == null);
        }, "every notice acknowledged", TimeSpan.FromSeconds(30));
        List<string> noticeIds;
        await using (var db = host.Db())
        {
            noticeIds = await db.Notices.Where(n => n.FeedId == Feed).OrderBy(n => n.Sequence).Select(n => n.NoticeId).ToListAsync();
        }
        lock (accepted)
        {
            Assert.Equal(noticeIds.Order(), accepted.Select(a => a.Id).Order());
            foreach (var arrival in arrivals)
            {
                var taken = accepted.Where(a => a.Subject == arrival.ArrivalId).Select(a => a.Sequence).ToList();
                Assert.Equal(3, taken.Count);
                Assert.Equal(taken.Order(), taken); // per arrival in feed order
            }
            Assert.All(accepted, a => Assert.True(a.SignatureValid));
        }
        Assert.Contains(receiver.Received, r => receiver.Received.Count(o => o.Id == r.Id) > 1); // retries happened
    }

    [Fact]
    public async Task Post_TooManyRequests_WaitsForRetryAfter()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var receiver = await WebhookReceiver.StartAsync();
        var calls = 0;
        receiver.Answer = _ => Interlocked.Increment(ref calls) == 1 ? (429, 120, TimeSpan.Zero) : (204, null, TimeSpan.Zero);
        await using var host = await StartAsync(receiver, time, configure: o => o.Webhooks.MaxRetryDelay = TimeSpan.FromMinutes(10));
        var dispatcher = (WebhookDispatcher)host.Services.GetService(typeof(WebhookDispatcher))!;

        await host.AnnounceAsync(TestArrivals.Family("0014", 1));
        await Eventually.TrueAsync(() => Task.FromResult(dispatcher.Find(Feed)?.Status.Last?.HttpStatus == 429), "the 429 was answered");

        time.Advance(TimeSpan.FromSeconds(100));
        await Task.Yield();
        Assert.Single(receiver.Received); // before Retry-After, far beyond the 20 ms backoff
        await Eventually.TrueAsync(async () =>
        {
            time.Advance(TimeSpan.FromSeconds(1));
            return await AcknowledgedAsync(host, 1);
        }, "retried once Retry-After passed");
        Assert.Equal(2, receiver.Received.Count(r => r.Sequence == 1));
    }

    [Fact]
    public async Task Post_ReceiverDownThenUp_DeliveredWhenItListens()
    {
        int port;
        await using (var first = await WebhookReceiver.StartAsync())
        {
            port = first.Port; // the address is known, then nobody listens there
        }
        var secret = WebhookSecret.Create();
        var registryReceiver = await WebhookReceiver.StartAsync(secret: secret);
        await registryReceiver.DisposeAsync();
        await using var host = await GatewayHost.StartAsync(configure: options =>
        {
            options.OrganisationRegistryPath = registryReceiver.Registry(url: new Uri($"https://localhost:{port}/exgw/notices"));
            options.Webhooks.AllowedNetworks.Add("127.0.0.0/8");
            options.Webhooks.AllowedNetworks.Add("::1/128");
            options.Webhooks.FirstRetryDelay = TimeSpan.FromMilliseconds(20);
            options.Webhooks.MaxRetryDelay = TimeSpan.FromMilliseconds(200);
        });
        var dispatcher = (WebhookDispatcher)host.Services.GetService(typeof(WebhookDispatcher))!;

        await host.AnnounceAsync(TestArrivals.Family("0014", 1));
        await Eventually.TrueAsync(() => Task.FromResult(dispatcher.Find(Feed)?.Status.Failures >= 2), "attempts fail while nobody listens");
        Assert.False(await AcknowledgedAsync(host, 1));

        await using var receiver = await WebhookReceiver.StartAsync(port, secret);
        await Eventually.TrueAsync(() => AcknowledgedAsync(host, 1), "delivered once the receiver listens");
        Assert.True(receiver.Received.Single(r => r.Sequence == 1).SignatureValid);
    }

    [Fact]
    public async Task Post_LoopbackNotAllowed_RefusedBeforeAnyRequest()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var host = await StartAsync(receiver, allowLoopback: false);
        var dispatcher = (WebhookDispatcher)host.Services.GetService(typeof(WebhookDispatcher))!;

        await host.AnnounceAsync(TestArrivals.Family("0014", 1));

        await Eventually.TrueAsync(() => Task.FromResult(dispatcher.Find(Feed)?.Status.Failures >= 2), "attempts are refused");
        var outcome = dispatcher.Find(Feed)!.Status.Last!.Outcome;
        Assert.Contains("refused", outcome, StringComparison.Ordinal);
        Assert.Contains("not a public address", outcome, StringComparison.Ordinal);
        Assert.Empty(receiver.Received);
        Assert.False(await AcknowledgedAsync(host, 1));
    }

    [Fact]
    public async Task Post_NotFound_ParksWithOneEscalationHoldsBackTheArrivalAndRetryDelivers()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var broken = true;
        receiver.Answer = _ => Volatile.Read(ref broken) ? (404, null, TimeSpan.Zero) : (204, null, TimeSpan.Zero);
        await using var host = await StartAsync(receiver);
        host.ExpectErrors("refused by the receiver (HTTP 404)"); // parking is an operator's business
        var chain = new WebhookService.WebhookServiceClient(host.ChannelFor("ketenregie"));

        var first = await host.AnnounceAsync(TestArrivals.Family("0014", 1));
        var second = await host.AnnounceAsync(TestArrivals.Family("0014", 1));
        await Eventually.TrueAsync(async () => (await chain.ListWebhookSubscriptionsAsync(new())).Subscriptions.Single().Parked == 2, "both announcements parked");
        var amended = first.Details.Clone();
        amended.ExpectedArrivalDate = TestArrivals.ToDate(new DateOnly(amended.ExpectedArrivalDate.Year, amended.ExpectedArrivalDate.Month, amended.ExpectedArrivalDate.Day).AddDays(1));
        await host.Arrivals().AmendArrivalAsync(new AmendArrivalRequest { RequestId = ArrivalSteps.NewRequestId(), ArrivalId = first.ArrivalId, Arrival = amended });

        await using (var db = host.Db())
        {
            var escalations = await db.Escalations.Where(e => e.Kind == EscalationKind.WebhookRefused).ToListAsync();
            Assert.Single(escalations); // one per subscription, not one per notice
            Assert.Contains("HTTP 404", escalations[0].Description, StringComparison.Ordinal);
        }
        var listed = (await chain.ListWebhookSubscriptionsAsync(new())).Subscriptions.Single();
        Assert.Equal("parked: HTTP 404", listed.LastAttempt.Outcome);
        Assert.DoesNotContain(receiver.Received, r => r.Type == "nl.asielketen.aankomst-gewijzigd"); // held back behind its parked announcement

        Volatile.Write(ref broken, false);
        var retried = await chain.RetryParkedNoticesAsync(new RetryParkedNoticesRequest { RequestId = ArrivalSteps.NewRequestId(), Feed = Feed });

        Assert.Equal(2, retried.Sequences.Count);
        await Eventually.TrueAsync(() => Task.FromResult(receiver.Received.Any(r => r.Type == "nl.asielketen.aankomst-gewijzigd" && r.Subject == first.ArrivalId)),
            "the amendment follows once its announcement is delivered");
        var toFirst = receiver.Received.Where(r => r.Subject == first.ArrivalId).Select(r => r.Type).ToList();
        Assert.Equal("nl.asielketen.aankomst-gewijzigd", toFirst[^1]);
        await Eventually.TrueAsync(() => AcknowledgedAsync(host, retried.Sequences[0]), "the first parked notice acknowledged");
        await Eventually.TrueAsync(async () => (await host.GetAsync(second.ArrivalId)).State == ArrivalState.Acknowledged, "the second announcement acknowledged");
        Assert.Equal(0UL, (await chain.ListWebhookSubscriptionsAsync(new())).Subscriptions.Single().Parked);
    }

    [Fact]
    public async Task Post_RetriedAfterRetentionErasedTheArrival_SendsTheRedactedNotice()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var receiver = await WebhookReceiver.StartAsync();
        var down = true;
        receiver.Answer = _ => Volatile.Read(ref down) ? (503, null, TimeSpan.Zero) : (204, null, TimeSpan.Zero);
        await using var host = await StartAsync(receiver, time, WebhookContent.Full, configure: options =>
        {
            options.AcknowledgementDeadline = TimeSpan.FromDays(10_000);
            options.DeadlineSweepInterval = TimeSpan.FromDays(1);
            options.Retention.PersonalDataRetention = Retention.RetentionSteps.Retention;
        });
        var details = TestArrivals.Family("0014", 1, time);
        var completed = await Retention.RetentionSteps.CompleteAsync(host, details, [TestArrivals.NewBsn()]);
        await Eventually.TrueAsync(() => Task.FromResult(receiver.Received.Any(r => r.Type == "nl.asielketen.aankomst-aangekondigd")), "the announcement was tried");
        Assert.Contains(details.Travellers[0].VNumber, System.Text.Encoding.UTF8.GetString(receiver.Received.First().Body), StringComparison.Ordinal);

        time.Advance(Retention.RetentionSteps.Retention + TimeSpan.FromDays(1));
        await Retention.RetentionSteps.SweepAsync(host); // if the retention job has not run on the moved clock already
        await using (var db = host.Db())
        {
            Assert.NotNull((await db.Arrivals.SingleAsync(a => a.Id == completed.ArrivalId)).PersonalDataErasedAt);
        }
        // The clock moved past the retention term wakes the retention job and the delivery's retry together, so
        // an attempt whose body was read just before the erasure may still be on its way (not a leak: the data
        // left before it was erased). One subscription's attempts go one after another, so once an attempt built
        // after the erasure has arrived (still refused), every later one is built after it too.
        var vNumber = details.Travellers[0].VNumber;
        await Eventually.TrueAsync(() =>
        {
            time.Advance(TimeSpan.FromSeconds(1));
            return Task.FromResult(receiver.Received.Any(r => r.Sequence == 1
                && !System.Text.Encoding.UTF8.GetString(r.Body).Contains(vNumber, StringComparison.Ordinal)));
        }, "an attempt built after the erasure");
        receiver.Received.Clear();
        Volatile.Write(ref down, false);

        await Eventually.TrueAsync(async () =>
        {
            time.Advance(TimeSpan.FromSeconds(1));
            return await AcknowledgedAsync(host, 1);
        }, "the announcement delivered after retention");
        var announced = receiver.Received.Where(r => r.Sequence == 1).ToList();
        Assert.NotEmpty(announced);
        Assert.All(announced, r => Assert.DoesNotContain(details.Travellers[0].VNumber, System.Text.Encoding.UTF8.GetString(r.Body), StringComparison.Ordinal));
        Assert.All(announced, r => Assert.False(r.Event.GetProperty("data").GetProperty("arrivalAnnounced").TryGetProperty("details", out _)));
    }

    [Fact]
    public async Task RetryParkedNotices_HugeFeed_InvalidArgumentWithoutEchoingIt()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var host = await StartAsync(receiver);
        var chain = new WebhookService.WebhookServiceClient(host.ChannelFor("ketenregie"));

        var error = await Assert.ThrowsAsync<Grpc.Core.RpcException>(async () =>
            await chain.RetryParkedNoticesAsync(new RetryParkedNoticesRequest { RequestId = ArrivalSteps.NewRequestId(), Feed = new string('x', 50_000) }));

        Assert.Equal(Grpc.Core.StatusCode.InvalidArgument, error.StatusCode);
        Assert.True(error.Status.Detail.Length < 500, error.Status.Detail);
    }

    [Fact]
    public async Task RetryParkedNotices_UnknownFeed_NotFound()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var host = await StartAsync(receiver);
        var chain = new WebhookService.WebhookServiceClient(host.ChannelFor("ketenregie"));

        var error = await Assert.ThrowsAsync<Grpc.Core.RpcException>(async () =>
            await chain.RetryParkedNoticesAsync(new RetryParkedNoticesRequest { RequestId = ArrivalSteps.NewRequestId(), Feed = "municipality:0363" }));

        Assert.Equal(Grpc.Core.StatusCode.NotFound, error.StatusCode);
    }
}
