using ExchangeGateway.Contracts.V1;
using ExchangeGateway.Server.Identity;
using ExchangeGateway.Tests.Fixtures;
using ExchangeGateway.Tests.Shared;
using Grpc.Core;
using Microsoft.EntityFrameworkCore;

namespace ExchangeGateway.Tests.Feed;

/// <summary>Opening a feed, the first messages, and acknowledging. Every test runs its own gateway,
/// so feeds start empty and sequences are known.</summary>
public sealed class SubscribeTests
{
    [Theory]
    [InlineData("coa", "coa")]
    [InlineData("ind", "ind")]
    [InlineData("ketenregie", "chain")]
    [InlineData("gemeente-groningen", "municipality:0014")]
    public async Task Subscribe_EmptyFeed_OpensOwnFeedWithZeroCounts(string organisationId, string feed)
    {
        await using var host = await GatewayHost.StartAsync();

        await using var reader = await FeedReader.OpenAsync(host.Feed(organisationId));

        Assert.Equal(feed, reader.Opened.Feed);
        Assert.Equal(0UL, reader.Opened.HeadSequence);
        Assert.Equal(0UL, reader.Opened.UnacknowledgedCount);
        Assert.Equal(100U, reader.Opened.MaxUnacknowledged);
    }

    [Fact]
    public async Task Subscribe_Open_ReportsFeedNameHeadAndUnacknowledgedCount()
    {
        await using var host = await GatewayHost.StartAsync();
        for (var i = 0; i < 3; i++)
        {
            await host.AnnounceAsync(TestArrivals.Family("0363"));
        }
        await using (var first = await FeedReader.OpenAsync(host.Feed("gemeente-amsterdam")))
        {
            Assert.Equal(3UL, first.Opened.UnacknowledgedCount);
            await first.AcknowledgeAsync(1);
        }

        await using var reader = await FeedReader.OpenAsync(host.Feed("gemeente-amsterdam"), new OpenFeed { MaxUnacknowledged = 5 });

        Assert.Equal("municipality:0363", reader.Opened.Feed);
        Assert.Equal(3UL, reader.Opened.HeadSequence);
        Assert.Equal(2UL, reader.Opened.UnacknowledgedCount);
        Assert.Equal(5U, reader.Opened.MaxUnacknowledged);
    }

    [Fact]
    public async Task Subscribe_WindowAboveMaximum_IsCappedAtServerMaximum()
    {
        await using var host = await GatewayHost.StartAsync(configure: options => options.MaxStreamWindow = 250);

        await using var reader = await FeedReader.OpenAsync(host.Feed("coa"), new OpenFeed { MaxUnacknowledged = 5000 });

        Assert.Equal(250U, reader.Opened.MaxUnacknowledged);
    }

    [Fact]
    public async Task Subscribe_MunicipalityAcknowledgesAnnouncement_CoaReceivesAnnouncementReceivedAndArrivalIsAcknowledged()
    {
        await using var host = await GatewayHost.StartAsync();
        var details = TestArrivals.Family("0363");
        var arrival = await host.AnnounceAsync(details);
        await using var coa = await FeedReader.OpenAsync(host.Feed("coa"));
        await using var municipality = await FeedReader.OpenAsync(host.Feed("gemeente-amsterdam"));

        var announced = await municipality.NextNoticeAsync();
        var confirmed = await municipality.AcknowledgeAsync(announced.Sequence);
        var received = await coa.NextNoticeAsync();

        Assert.Equal(ArrivalSteps.Announced, announced.Type);
        Assert.Equal(1UL, announced.Sequence);
        Assert.Equal(0U, announced.RedeliveryCount);
        Assert.Equal("1.0", announced.SpecVersion);
        Assert.Equal(arrival.ArrivalId, announced.Subject);
        Assert.Equal($"urn:nld:oin:{DevCertificateAuthority.TestOin(1)}:systeem:coa", announced.Source);
        Assert.Equal(arrival.AnnouncedAt, announced.Time);
        Assert.Equal(details, announced.ArrivalAnnounced.Details);
        Assert.Equal([1UL], confirmed.Sequences);
        Assert.Empty(confirmed.UnknownSequences);
        Assert.Equal(ArrivalSteps.Received, received.Type);
        Assert.Equal(arrival.ArrivalId, received.Subject);
        Assert.Equal(arrival.ArrivalId, received.AnnouncementReceived.ArrivalId);
        Assert.Equal("0363", received.AnnouncementReceived.MunicipalityCode);
        Assert.Equal(details.CaseReference, received.AnnouncementReceived.CaseReference);
        Assert.EndsWith(":systeem:gemeente-amsterdam", received.Source, StringComparison.Ordinal);
        var stored = await host.GetAsync(arrival.ArrivalId);
        Assert.Equal(ArrivalState.Acknowledged, stored.State);
        Assert.Equal(received.AnnouncementReceived.ReceivedAt, stored.AcknowledgedAt);
    }

    [Fact]
    public async Task Subscribe_Ind_ReceivesOnlyVNumbersOfAnnouncement()
    {
        await using var host = await GatewayHost.StartAsync();
        var details = TestArrivals.Family("0344");
        var arrival = await host.AnnounceAsync(details);
        await using var ind = await FeedReader.OpenAsync(host.Feed("ind"));

        var notice = await ind.NextNoticeAsync();

        Assert.Equal(ArrivalSteps.TravellersAnnounced, notice.Type);
        Assert.Equal(arrival.ArrivalId, notice.TravellersAnnounced.ArrivalId);
        Assert.Equal("0344", notice.TravellersAnnounced.MunicipalityCode);
        Assert.Equal(details.Travellers.Select(t => t.VNumber), notice.TravellersAnnounced.VNumbers);
        Assert.Equal(details.ExpectedArrivalDate, notice.TravellersAnnounced.ExpectedArrivalDate);
    }

    [Fact]
    public async Task Subscribe_FirstMessageNotOpen_IsInvalidArgumentAndAcknowledgesNothing()
    {
        await using var host = await GatewayHost.StartAsync();
        await host.AnnounceAsync(TestArrivals.Family("0363"));
        using var call = host.Feed("gemeente-amsterdam").Subscribe();
        using var timeout = new CancellationTokenSource(FeedReader.Timeout);

        await call.RequestStream.WriteOrEndedAsync(new SubscribeRequest { Acknowledge = new Acknowledge { Sequences = { 1 } } });

        await RpcAssert.InvalidArgumentAsync(() => call.ResponseStream.MoveNext(timeout.Token), "open");
        await using var db = host.Db();
        Assert.True(await db.Notices.AnyAsync(n => n.FeedId == "municipality:0363" && n.Sequence == 1 && n.AcknowledgedAt == null));
    }

    [Fact]
    public async Task Subscribe_OpenSentTwice_EndsStreamWithInvalidArgument()
    {
        await using var host = await GatewayHost.StartAsync();
        await using var reader = await FeedReader.OpenAsync(host.Feed("coa"));

        await reader.SendAsync(new SubscribeRequest { Open = new OpenFeed() });

        var error = await reader.FailureAsync();
        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
    }

    [Fact]
    public async Task Subscribe_MunicipalityOpeningOtherCode_IsPermissionDenied()
    {
        await using var host = await GatewayHost.StartAsync();

        await RpcAssert.ReasonAsync(StatusCode.PermissionDenied, "NOT_YOUR_FEED",
            () => FeedReader.OpenAsync(host.Feed("gemeente-amsterdam"), new OpenFeed { MunicipalityCode = "0344" }));
    }

    [Fact]
    public async Task Subscribe_OrganisationWithTwoCodesWithoutCode_IsInvalidArgument()
    {
        await using var host = await GatewayHost.StartAsync();

        await RpcAssert.InvalidArgumentAsync(() => FeedReader.OpenAsync(host.Feed("brp-drechtsteden")), "open.municipality_code");
    }

    [Fact]
    public async Task Subscribe_OrganisationWithTwoCodesNamingOne_OpensThatFeedOnly()
    {
        await using var host = await GatewayHost.StartAsync();
        await host.AnnounceAsync(TestArrivals.Family("0505"));
        var papendrecht = await host.AnnounceAsync(TestArrivals.Family("0590"));

        await using var reader = await FeedReader.OpenAsync(host.Feed("brp-drechtsteden"), new OpenFeed { MunicipalityCode = "0590" });
        var notice = await reader.NextNoticeAsync();

        Assert.Equal("municipality:0590", reader.Opened.Feed);
        Assert.Equal(1UL, reader.Opened.HeadSequence);
        Assert.Equal(papendrecht.ArrivalId, notice.Subject);
    }

    [Fact]
    public async Task Subscribe_CoaNamingMunicipalityCode_IsInvalidArgument()
    {
        await using var host = await GatewayHost.StartAsync();

        await RpcAssert.InvalidArgumentAsync(
            () => FeedReader.OpenAsync(host.Feed("coa"), new OpenFeed { MunicipalityCode = "0363" }), "open.municipality_code");
    }

    [Fact]
    public async Task Subscribe_AcknowledgingUnknownSequences_ListsThemAsUnknown()
    {
        await using var host = await GatewayHost.StartAsync();
        await host.AnnounceAsync(TestArrivals.Family("0363"));
        await using var reader = await FeedReader.OpenAsync(host.Feed("gemeente-amsterdam"));
        var notice = await reader.NextNoticeAsync();

        var confirmed = await reader.AcknowledgeAsync(999, notice.Sequence, 7);

        Assert.Equal([notice.Sequence], confirmed.Sequences);
        Assert.Equal([7UL, 999UL], confirmed.UnknownSequences);
    }

    [Fact]
    public async Task Subscribe_AcknowledgingAgain_ConfirmsAgain()
    {
        await using var host = await GatewayHost.StartAsync();
        await host.AnnounceAsync(TestArrivals.Family("0363"));
        await using var reader = await FeedReader.OpenAsync(host.Feed("gemeente-amsterdam"));
        var notice = await reader.NextNoticeAsync();
        await reader.AcknowledgeAsync(notice.Sequence);

        var again = await reader.AcknowledgeAsync(notice.Sequence);

        Assert.Equal([notice.Sequence], again.Sequences);
        Assert.Empty(again.UnknownSequences);
    }

    [Fact]
    public async Task Subscribe_AcknowledgingSequenceOfAnotherFeed_IsUnknownAndLeavesItUnacknowledged()
    {
        await using var host = await GatewayHost.StartAsync();
        var arrival = await host.AnnounceAsync(TestArrivals.Family("0363"));
        await using var utrecht = await FeedReader.OpenAsync(host.Feed("gemeente-utrecht"));

        var confirmed = await utrecht.AcknowledgeAsync(1);

        Assert.Empty(confirmed.Sequences);
        Assert.Equal([1UL], confirmed.UnknownSequences);
        Assert.Equal(ArrivalState.Announced, (await host.GetAsync(arrival.ArrivalId)).State);
        await using var db = host.Db();
        Assert.True(await db.Notices.AnyAsync(n => n.FeedId == "municipality:0363" && n.Sequence == 1 && n.AcknowledgedAt == null));
    }

    [Fact]
    public async Task Subscribe_AcknowledgingSequenceZero_IsInvalidArgument()
    {
        await using var host = await GatewayHost.StartAsync();
        await using var reader = await FeedReader.OpenAsync(host.Feed("coa"));

        await reader.SendAsync(new SubscribeRequest { Acknowledge = new Acknowledge { Sequences = { 0 } } });

        var error = await reader.FailureAsync();
        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
    }
}
