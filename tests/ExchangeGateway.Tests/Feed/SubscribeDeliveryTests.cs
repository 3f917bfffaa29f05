using ExchangeGateway.Contracts.V1;
using ExchangeGateway.Tests.Fixtures;
using ExchangeGateway.Tests.Shared;
using Microsoft.Extensions.Time.Testing;

namespace ExchangeGateway.Tests.Feed;

/// <summary>How notices are handed to streams: order per arrival, window, redelivery, several streams,
/// replay and restart. Every test runs its own gateway, so sequences are known.</summary>
public sealed class SubscribeDeliveryTests
{
    private static async Task<string> AmendAsync(GatewayHost host, Arrival arrival)
    {
        var details = arrival.Details.Clone();
        details.DestinationAddress.HouseNumber += 1;
        var amended = await host.Arrivals().AmendArrivalAsync(new AmendArrivalRequest
        {
            RequestId = ArrivalSteps.NewRequestId(),
            ArrivalId = arrival.ArrivalId,
            Arrival = details,
        });
        return amended.Arrival.ArrivalId;
    }

    [Fact]
    public async Task Subscribe_SecondNoticeAboutSameArrival_IsHeldUntilFirstIsAcknowledgedWhileOtherArrivalProceeds()
    {
        await using var host = await GatewayHost.StartAsync();
        var first = await host.AnnounceAsync(TestArrivals.Family("0363"));   // sequence 1
        await AmendAsync(host, first);                                       // sequence 2, same arrival
        var other = await host.AnnounceAsync(TestArrivals.Family("0363"));   // sequence 3
        await using var reader = await FeedReader.OpenAsync(host.Feed("gemeente-amsterdam"));

        var received = await reader.NextNoticesAsync(2);

        // Sequence order, except that 2 waits for 1: had 2 been sent, it would have come before 3.
        Assert.Equal([1UL, 3UL], received.Select(n => n.Sequence));
        Assert.Equal([first.ArrivalId, other.ArrivalId], received.Select(n => n.Subject));
        await reader.AcknowledgeAsync(1);
        var amended = await reader.NextNoticeAsync();
        Assert.Equal(2UL, amended.Sequence);
        Assert.Equal(ArrivalSteps.Amended, amended.Type);
        Assert.Equal(first.ArrivalId, amended.Subject);
    }

    [Fact]
    public async Task Subscribe_WindowOfTwo_SendsOnlyTwoUntilOneIsAcknowledged()
    {
        await using var host = await GatewayHost.StartAsync();
        for (var i = 0; i < 3; i++)
        {
            await host.AnnounceAsync(TestArrivals.Family("0363"));
        }
        await using var reader = await FeedReader.OpenAsync(host.Feed("gemeente-amsterdam"), new OpenFeed { MaxUnacknowledged = 2 });

        var window = await reader.NextNoticesAsync(2);

        Assert.Equal(2U, reader.Opened.MaxUnacknowledged);
        Assert.Equal([1UL, 2UL], window.Select(n => n.Sequence));
        Assert.Null(await reader.TryNextNoticeAsync(FeedReader.Quiet));
        await reader.AcknowledgeAsync(2);
        Assert.Equal(3UL, (await reader.NextNoticeAsync()).Sequence);
    }

    [Fact]
    public async Task Subscribe_NoticeUnacknowledgedPastTimeout_IsSentAgainWithSameIdAndSequence()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var host = await GatewayHost.StartAsync(time, configure: options => options.RedeliveryTimeout = TimeSpan.FromSeconds(30));
        var arrival = await host.AnnounceAsync(TestArrivals.Family("0363", time: time));
        await using var reader = await FeedReader.OpenAsync(host.Feed("gemeente-amsterdam"));
        var first = await reader.NextNoticeAsync();

        time.Advance(TimeSpan.FromSeconds(29));
        Assert.Null(await reader.TryNextNoticeAsync(FeedReader.Quiet));
        time.Advance(TimeSpan.FromSeconds(2));
        var again = await reader.NextNoticeAsync();

        Assert.Equal(0U, first.RedeliveryCount);
        Assert.Equal(1U, again.RedeliveryCount);
        Assert.Equal(first.NoticeId, again.NoticeId);
        Assert.Equal(first.Sequence, again.Sequence);
        Assert.Equal(first.ArrivalAnnounced, again.ArrivalAnnounced);
        Assert.Equal(arrival.ArrivalId, again.Subject);
        time.Advance(TimeSpan.FromSeconds(31));
        Assert.Equal(2U, (await reader.NextNoticeAsync()).RedeliveryCount);
    }

    [Fact]
    public async Task Subscribe_StreamClosedWithoutAcknowledging_NextStreamGetsNoticeAsRedelivery()
    {
        await using var host = await GatewayHost.StartAsync();
        await host.AnnounceAsync(TestArrivals.Family("0363"));
        Notice first;
        await using (var dropped = await FeedReader.OpenAsync(host.Feed("gemeente-amsterdam")))
        {
            first = await dropped.NextNoticeAsync();
        }

        await using var reader = await FeedReader.OpenAsync(host.Feed("gemeente-amsterdam"));
        var again = await reader.NextNoticeAsync();

        Assert.Equal(first.NoticeId, again.NoticeId);
        Assert.Equal(first.Sequence, again.Sequence);
        Assert.Equal(1U, again.RedeliveryCount);
    }

    [Fact]
    public async Task Subscribe_TwoStreamsOnOneFeed_NoticeGoesToOneAndAcknowledgementFromOtherCounts()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var host = await GatewayHost.StartAsync(time, configure: options => options.RedeliveryTimeout = TimeSpan.FromSeconds(30));
        await using var one = await FeedReader.OpenAsync(host.Feed("gemeente-amsterdam"));
        await using var two = await FeedReader.OpenAsync(host.Feed("gemeente-amsterdam"));
        var arrival = await host.AnnounceAsync(TestArrivals.Family("0363", time: time));

        using (var timeout = new CancellationTokenSource(FeedReader.Timeout))
        {
            await Task.WhenAny(one.WaitForNoticeAsync(timeout.Token), two.WaitForNoticeAsync(timeout.Token));
        }
        var (holder, other) = one.HasNotice ? (one, two) : (two, one);
        var notice = await holder.NextNoticeAsync();
        Assert.Null(await other.TryNextNoticeAsync(FeedReader.Quiet));
        var confirmed = await other.AcknowledgeAsync(notice.Sequence);

        Assert.Equal([notice.Sequence], confirmed.Sequences);
        Assert.Equal(ArrivalState.Acknowledged, (await host.GetAsync(arrival.ArrivalId)).State);
        // Past the redelivery timeout nothing is sent again: the next notice either stream gets is the new one.
        time.Advance(TimeSpan.FromSeconds(31));
        var next = await host.AnnounceAsync(TestArrivals.Family("0363", time: time));
        using (var timeout = new CancellationTokenSource(FeedReader.Timeout))
        {
            await Task.WhenAny(one.WaitForNoticeAsync(timeout.Token), two.WaitForNoticeAsync(timeout.Token));
        }
        var after = await (one.HasNotice ? one : two).NextNoticeAsync();
        Assert.Equal(next.ArrivalId, after.Subject);
        Assert.Equal(0U, after.RedeliveryCount);
    }

    [Fact]
    public async Task Subscribe_FromSequenceOne_ReplaysAcknowledgedNoticesThenContinues()
    {
        await using var host = await GatewayHost.StartAsync();
        var first = await host.AnnounceAsync(TestArrivals.Family("0363"));
        var second = await host.AnnounceAsync(TestArrivals.Family("0363"));
        await using (var reader = await FeedReader.OpenAsync(host.Feed("gemeente-amsterdam")))
        {
            var notices = await reader.NextNoticesAsync(2);
            await reader.AcknowledgeAsync([.. notices.Select(n => n.Sequence)]);
        }

        await using var replay = await FeedReader.OpenAsync(host.Feed("gemeente-amsterdam"), new OpenFeed { FromSequence = 1 });
        var replayed = await replay.NextNoticesAsync(2);
        var third = await host.AnnounceAsync(TestArrivals.Family("0363"));
        var live = await replay.NextNoticeAsync();

        Assert.Equal(0UL, replay.Opened.UnacknowledgedCount);
        Assert.Equal([1UL, 2UL], replayed.Select(n => n.Sequence));
        Assert.Equal([first.ArrivalId, second.ArrivalId], replayed.Select(n => n.Subject));
        Assert.Equal(3UL, live.Sequence);
        Assert.Equal(third.ArrivalId, live.Subject);
    }

    [Fact]
    public async Task Subscribe_FromSequenceTwo_StartsThere()
    {
        await using var host = await GatewayHost.StartAsync();
        for (var i = 0; i < 3; i++)
        {
            await host.AnnounceAsync(TestArrivals.Family("0363"));
        }

        await using var replay = await FeedReader.OpenAsync(host.Feed("gemeente-amsterdam"), new OpenFeed { FromSequence = 2 });

        Assert.Equal([2UL, 3UL], (await replay.NextNoticesAsync(2)).Select(n => n.Sequence));
    }

    [Fact]
    public async Task Subscribe_ReplayIncludingUnacknowledgedNotice_DoesNotSendItTwiceWhileOutstanding()
    {
        await using var host = await GatewayHost.StartAsync();
        for (var i = 0; i < 3; i++)
        {
            await host.AnnounceAsync(TestArrivals.Family("0363"));
        }
        await using (var reader = await FeedReader.OpenAsync(host.Feed("gemeente-amsterdam")))
        {
            await reader.NextNoticesAsync(3);
            await reader.AcknowledgeAsync(1, 2);
        }

        await using var replay = await FeedReader.OpenAsync(host.Feed("gemeente-amsterdam"), new OpenFeed { FromSequence = 1 });
        Assert.Equal([1UL, 2UL, 3UL], (await replay.NextNoticesAsync(3)).Select(n => n.Sequence));
        await replay.AcknowledgeAsync(1, 2);

        // Sequence 3 is outstanding on this stream; it is sent again only after the redelivery timeout.
        Assert.Null(await replay.TryNextNoticeAsync(FeedReader.Quiet));
    }

    [Fact]
    public async Task Subscribe_AfterRestartOnSameDatabase_DeliversExactlyTheUnacknowledgedNotice()
    {
        var databasePath = Path.Combine(Directory.CreateTempSubdirectory("exgw-test-restart-").FullName, "gateway.db");
        List<Notice> before;
        await using (var first = await GatewayHost.StartAsync(databasePath: databasePath))
        {
            for (var i = 0; i < 3; i++)
            {
                await first.AnnounceAsync(TestArrivals.Family("0363"));
            }
            await using var reader = await FeedReader.OpenAsync(first.Feed("gemeente-amsterdam"));
            before = await reader.NextNoticesAsync(3);
            await reader.AcknowledgeAsync(before[0].Sequence, before[2].Sequence);
        }

        await using var second = await GatewayHost.StartAsync(databasePath: databasePath);
        await using var again = await FeedReader.OpenAsync(second.Feed("gemeente-amsterdam"));
        var notice = await again.NextNoticeAsync();

        Assert.Equal(3UL, again.Opened.HeadSequence);
        Assert.Equal(1UL, again.Opened.UnacknowledgedCount);
        Assert.Equal(before[1].NoticeId, notice.NoticeId);
        Assert.Equal(before[1].Sequence, notice.Sequence);
        Assert.Equal(before[1].ArrivalAnnounced, notice.ArrivalAnnounced);
        Assert.Null(await again.TryNextNoticeAsync(FeedReader.Quiet));
    }
}
