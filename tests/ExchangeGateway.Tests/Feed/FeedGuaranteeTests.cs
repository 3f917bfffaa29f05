using ExchangeGateway.Contracts.V1;
using ExchangeGateway.Server.Feed;
using ExchangeGateway.Server.Identity;
using ExchangeGateway.Tests.Fixtures;
using ExchangeGateway.Tests.Retention;
using ExchangeGateway.Tests.Shared;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace ExchangeGateway.Tests.Feed;

/// <summary>The delivery guarantee under the consumers real municipalities run: a hung second
/// connector, a reader that stops reading, a replay. Each test is a case the first feed engine broke.</summary>
public sealed class FeedGuaranteeTests
{
    private static readonly TimeSpan Redelivery = TimeSpan.FromSeconds(30);

    private static Task<GatewayHost> StartAsync(FakeTimeProvider time) =>
        GatewayHost.StartAsync(time, configure: options => options.RedeliveryTimeout = Redelivery);

    [Theory]
    [InlineData(100u, 100u)]
    [InlineData(1000u, 100u)]
    public async Task Subscribe_SilentStreamOpenedFirst_HealthyStreamGetsTheNoticeAfterItTimesOut(uint silentWindow, uint healthyWindow)
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var host = await StartAsync(time);
        await using var silent = await FeedReader.OpenAsync(host.Feed("gemeente-amsterdam"), new OpenFeed { MaxUnacknowledged = silentWindow });
        await using var healthy = await FeedReader.OpenAsync(host.Feed("gemeente-amsterdam"), new OpenFeed { MaxUnacknowledged = healthyWindow });
        var arrival = await host.AnnounceAsync(TestArrivals.Family("0363", time: time));

        Notice? received = null;
        for (var round = 0; round < 4 && received is null; round++)
        {
            using (var wait = new CancellationTokenSource(FeedReader.Timeout))
            {
                await Task.WhenAny(silent.WaitForNoticeAsync(wait.Token), healthy.WaitForNoticeAsync(wait.Token));
            }
            if (healthy.HasNotice)
            {
                received = await healthy.NextNoticeAsync();
                break;
            }
            await silent.NextNoticeAsync(); // the silent stream holds it; it never acknowledges
            time.Advance(Redelivery + TimeSpan.FromSeconds(1));
        }

        Assert.NotNull(received);
        Assert.Equal(arrival.ArrivalId, received.Subject);
        await healthy.AcknowledgeAsync(received.Sequence);
        Assert.Equal(ArrivalState.Acknowledged, (await host.GetAsync(arrival.ArrivalId)).State);
    }

    [Fact]
    public async Task Subscribe_SubscriberAtTheTail_LiveDeliveryReadsNothingFromTheDatabase()
    {
        await using var host = await GatewayHost.StartAsync();
        var hub = host.Services.GetRequiredService<FeedHub>();
        await using var reader = await FeedReader.OpenAsync(host.Feed("gemeente-amsterdam"));
        await reader.AcknowledgeAsync((await reader.NextNoticeAsync(host, TestArrivals.Family("0363"))).Sequence);
        var readsBefore = hub.DatabaseReads;

        for (var i = 0; i < 20; i++)
        {
            var notice = await reader.NextNoticeAsync(host, TestArrivals.Family("0363"));
            await reader.AcknowledgeAsync(notice.Sequence);
        }

        Assert.Equal(readsBefore, hub.DatabaseReads);
    }

    [Fact]
    public async Task Subscribe_StreamThatStopsReading_ServerQueuesNoMoreThanItsWindow()
    {
        const uint window = 100;
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var host = await StartAsync(time);
        // 150 notices of a few kilobytes: far more than the 64 KiB the in-process transport buffers.
        for (var i = 0; i < 150; i++)
        {
            await host.AnnounceAsync(LargeHousehold(time));
        }
        var hub = host.Services.GetRequiredService<FeedHub>();
        var feed = FeedNames.Municipality("0363");
        await using var stalled = await FeedReader.OpenAsync(host.Feed("gemeente-amsterdam"), new OpenFeed { MaxUnacknowledged = window }, read: false);
        await Eventually.TrueAsync(() => Task.FromResult(hub.QueuedOn(feed).Sum() > 0), "notices were queued for the stream");

        for (var round = 0; round < 3; round++)
        {
            time.Advance(Redelivery + TimeSpan.FromSeconds(1));
            await Task.Delay(100); // let the redelivery run; what is asserted is a bound, not an event
            Assert.All(hub.QueuedOn(feed), queued => Assert.InRange(queued, 0, (int)window));
        }
    }

    /// <summary>Twenty people housed together: a notice of a few kilobytes.</summary>
    private static ArrivalDetails LargeHousehold(TimeProvider time)
    {
        var details = TestArrivals.Family("0363", travellers: 20, time: time);
        details.Kind = ArrivalKind.StatusHolderHousing;
        details.Referent = null;
        foreach (var traveller in details.Travellers)
        {
            traveller.Relation = Relation.None;
        }
        return details;
    }

    [Fact]
    public async Task Subscribe_ReplayWithFirstNoticeUnacknowledged_HoldsTheSecondBackAndRedeliversTheFirst()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var host = await StartAsync(time);
        var arrival = await host.AnnounceAsync(TestArrivals.Family("0363", time: time));   // sequence 1
        await host.Arrivals().AmendArrivalAsync(new AmendArrivalRequest                     // sequence 2, same arrival
        {
            RequestId = ArrivalSteps.NewRequestId(),
            ArrivalId = arrival.ArrivalId,
            Arrival = arrival.Details,
        });

        await using var replay = await FeedReader.OpenAsync(host.Feed("gemeente-amsterdam"), new OpenFeed { FromSequence = 1 });
        var first = await replay.NextNoticeAsync();
        Assert.Equal(1UL, first.Sequence);
        Assert.Null(await replay.TryNextNoticeAsync(FeedReader.Quiet)); // 2 waits for 1

        time.Advance(Redelivery + TimeSpan.FromSeconds(1));
        var again = await replay.NextNoticeAsync();
        Assert.Equal(1UL, again.Sequence);
        Assert.Equal(first.NoticeId, again.NoticeId);

        await replay.AcknowledgeAsync(1);
        Assert.Equal(2UL, (await replay.NextNoticeAsync()).Sequence);
    }

    [Fact]
    public async Task Subscribe_NoticeRedeliveredAfterItsArrivalWasErased_CarriesNoPersonalData()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var host = await GatewayHost.StartAsync(time, configure: options =>
        {
            options.AcknowledgementDeadline = TimeSpan.FromDays(10_000);
            options.DeadlineSweepInterval = TimeSpan.FromDays(40);
            options.Retention.PersonalDataRetention = RetentionSteps.Retention;
        });
        // The IND's system holds its stream open and never acknowledges (a feed nobody processes).
        await using var ind = await FeedReader.OpenAsync(host.Feed("ind"));
        var details = TestArrivals.Family("0363", travellers: 1, time: time);
        var arrival = await host.AnnounceAsync(details);
        var announced = await ind.NextNoticeAsync();
        Assert.Equal(arrival.ArrivalId, announced.Subject);
        Assert.Contains(details.Travellers[0].VNumber, announced.TravellersAnnounced.VNumbers);
        await host.CancelAsync(arrival.ArrivalId);

        time.Advance(RetentionSteps.Retention + TimeSpan.FromDays(1));
        while (await ind.TryNextNoticeAsync(FeedReader.Quiet) is not null)
        {
            // redelivered before the erasure: it may still carry the data
        }
        await host.SweepAsync(); // (the periodic sweep may be the one that erases it)
        Assert.Empty((await host.GetAsync(arrival.ArrivalId)).Travellers[0].VNumber);
        time.Advance(TimeSpan.FromMinutes(2));

        // Whatever the stream is sent now (the announcement redelivered, the cancellation), none of it
        // names the traveller any more.
        var seen = new List<Notice>();
        while (await ind.TryNextNoticeAsync(FeedReader.Quiet) is { } notice)
        {
            seen.Add(notice);
        }
        var redelivered = Assert.Single(seen, n => n.Sequence == announced.Sequence && n.RedeliveryCount > 0);
        Assert.Empty(redelivered.TravellersAnnounced.VNumbers);
        Assert.All(seen, n => Assert.DoesNotContain(details.Travellers[0].VNumber, n.ToString(), StringComparison.Ordinal));
    }
}

internal static class FeedGuaranteeSteps
{
    /// <summary>Announces <paramref name="details"/> and returns the notice the stream then receives.</summary>
    public static async Task<Notice> NextNoticeAsync(this FeedReader reader, GatewayHost host, ArrivalDetails details)
    {
        var arrival = await host.AnnounceAsync(details);
        var notice = await reader.NextNoticeAsync();
        Assert.Equal(arrival.ArrivalId, notice.Subject);
        return notice;
    }
}
