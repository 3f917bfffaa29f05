using ExchangeGateway.Client;
using ExchangeGateway.Client.Arrivals;
using ExchangeGateway.Client.Connection;
using ExchangeGateway.Client.Resilience;
using ExchangeGateway.Tests.Fixtures;
using ExchangeGateway.Tests.Shared;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Time.Testing;

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
    public async Task DrainAsync_InvalidAnnouncement_IsParkedAndOthersStillGo()
    {
        var outbox = Path.Combine(Directory.CreateTempSubdirectory("exgw-outbox-").FullName, "coa-outbox.db");
        await using var announcer = await DurableAnnouncer.OpenAsync(Host.ClientFor("coa"), outbox);
        var invalid = TestArrivals.Family();
        invalid.MunicipalityCode = "9999";
        await announcer.EnqueueAsync(invalid);
        await announcer.EnqueueAsync(TestArrivals.Family());

        Assert.Equal(1, await announcer.DrainAsync());

        Assert.Equal(1, await announcer.CountAsync("parked"));
        Assert.Equal(1, await announcer.CountAsync("refused")); // the name of 1.0.0-rc.1 still counts them
        Assert.Equal(0, await announcer.CountAsync("pending"));
        var parked = Assert.Single(await announcer.ParkedAsync());
        Assert.StartsWith("InvalidArgument", parked.Reason, StringComparison.Ordinal);
        Assert.NotNull(parked.ParkedAt);
    }

    [Fact]
    public async Task DrainAsync_AnnouncementParked_DatedByTheAnnouncersClock()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 5, 4, 10, 0, 0, TimeSpan.Zero));
        await using var announcer = await DurableAnnouncer.OpenAsync(Host.ClientFor("coa"), NewOutbox(), new DurableAnnouncerOptions { Time = clock });
        var invalid = TestArrivals.Family();
        invalid.MunicipalityCode = "9999";
        await announcer.EnqueueAsync(invalid);

        await announcer.DrainAsync();

        Assert.Equal(clock.GetUtcNow(), Assert.Single(await announcer.ParkedAsync()).ParkedAt);
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
            Assert.Equal(0, await refused.CountAsync("parked"));
        }

        await using var coa = await DurableAnnouncer.OpenAsync(Host.ClientFor("coa"), outbox);
        Assert.Equal(3, await coa.DrainAsync());
    }

    [Fact]
    public async Task DrainAsync_OneAnnouncementAnsweredInternal_TheOthersStillGoAndItIsParkedAfterTheLimit()
    {
        const string poison = "POISON-CASE";
        var handler = new AnswerInternalFor(poison, Host.Handler(TestPki.Client("coa")));
        using var channel = Host.ChannelOver(handler);
        using var client = new GatewayClient(channel, new GatewayResilienceOptions { BaseDelay = TimeSpan.FromMilliseconds(1), MaxRetryAttempts = 1 });
        var options = new DurableAnnouncerOptions { MaxFailures = 3 };
        await using var announcer = await DurableAnnouncer.OpenAsync(client, NewOutbox(), options);
        var poisoned = TestArrivals.Family("0363");
        poisoned.CaseReference = poison + "-" + Guid.NewGuid().ToString("N")[..8];
        var poisonedId = await announcer.EnqueueAsync(poisoned);
        await announcer.EnqueueAsync(TestArrivals.Family("0363"));
        await announcer.EnqueueAsync(TestArrivals.Family("0344"));

        Assert.Equal(2, await announcer.DrainAsync());
        Assert.Equal(1, await announcer.CountAsync("pending"));
        for (var pass = 1; pass < options.MaxFailures; pass++)
        {
            Assert.Equal(0, await announcer.DrainAsync());
        }

        Assert.Equal(0, await announcer.CountAsync("pending"));
        var parked = Assert.Single(await announcer.ParkedAsync());
        Assert.Equal(poisonedId, parked.RequestId);
        Assert.Equal(options.MaxFailures, parked.Attempts);
        Assert.StartsWith("Internal 3 times", parked.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RetryParkedAsync_CauseMended_SentAgainWithItsRequestIdAndConfirmed()
    {
        var outbox = NewOutbox();
        const string poison = "MENDED-CASE";
        var arrival = TestArrivals.Family("0363");
        arrival.CaseReference = poison + "-" + Guid.NewGuid().ToString("N")[..8];
        string requestId;
        using (var channel = Host.ChannelOver(new AnswerInternalFor(poison, Host.Handler(TestPki.Client("coa")))))
        using (var failing = new GatewayClient(channel, new GatewayResilienceOptions { BaseDelay = TimeSpan.FromMilliseconds(1), MaxRetryAttempts = 1 }))
        await using (var announcer = await DurableAnnouncer.OpenAsync(failing, outbox, new DurableAnnouncerOptions { MaxFailures = 1 }))
        {
            requestId = await announcer.EnqueueAsync(arrival);
            Assert.Equal(0, await announcer.DrainAsync());
            Assert.Equal(1, await announcer.CountAsync("parked"));
            Assert.Equal(0, await announcer.DrainAsync()); // parked: not sent again by itself
        }

        await using var mended = await DurableAnnouncer.OpenAsync(Host.ClientFor("coa"), outbox);
        Assert.Equal(0, await mended.RetryParkedAsync("no-such-request"));
        Assert.Equal(1, await mended.RetryParkedAsync());
        Assert.Equal(1, await mended.DrainAsync());

        Assert.Empty(await mended.ParkedAsync());
        Assert.NotNull(await mended.ArrivalIdAsync(requestId));
        await using var db = Host.Db();
        Assert.Equal(1, await db.Arrivals.CountAsync(a => a.CaseReference == arrival.CaseReference));
    }

    [Fact]
    public async Task OpenAsync_OutboxOfTheFirstVersion_UpgradedInPlaceKeepingEveryEntry()
    {
        var outbox = NewOutbox();
        var pendingArrival = TestArrivals.Family("0363");
        await using (var old = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={outbox};Pooling=False"))
        {
            await old.OpenAsync();
            await using var create = old.CreateCommand();
            // The schema and states of 1.0.0-rc.1's outbox, as that version wrote them (user_version 0).
            create.CommandText = """
                PRAGMA journal_mode=WAL;
                CREATE TABLE Outbox (Position INTEGER PRIMARY KEY AUTOINCREMENT, RequestId TEXT NOT NULL UNIQUE, Request BLOB NOT NULL,
                    State TEXT NOT NULL, EnqueuedAt TEXT NOT NULL, ArrivalId TEXT NULL, Error TEXT NULL, Attempts INTEGER NOT NULL DEFAULT 0);
                INSERT INTO Outbox (RequestId, Request, State, EnqueuedAt, Error, Attempts) VALUES ('old-refused', x'', 'refused', '2026-12-01T10:00:00Z', 'InvalidArgument: municipality_code', 1);
                INSERT INTO Outbox (RequestId, Request, State, EnqueuedAt) VALUES ('old-pending', $request, 'pending', '2026-12-01T10:00:01Z');
                """;
            create.Parameters.AddWithValue("$request", Google.Protobuf.MessageExtensions.ToByteArray(
                new ExchangeGateway.Contracts.V1.AnnounceArrivalRequest { RequestId = "old-pending", Arrival = pendingArrival }));
            await create.ExecuteNonQueryAsync();
        }

        await using var announcer = await DurableAnnouncer.OpenAsync(Host.ClientFor("coa"), outbox);

        var parked = Assert.Single(await announcer.ParkedAsync());
        Assert.Equal(("old-refused", "InvalidArgument: municipality_code", (DateTimeOffset?)null), (parked.RequestId, parked.Reason, parked.ParkedAt));
        Assert.Equal(1, await announcer.DrainAsync());
        Assert.NotNull(await announcer.ArrivalIdAsync("old-pending"));
        await announcer.DisposeAsync();
        await using var reopened = await DurableAnnouncer.OpenAsync(Host.ClientFor("coa"), outbox); // upgraded once; opening again changes nothing
        Assert.Single(await reopened.ParkedAsync());
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
