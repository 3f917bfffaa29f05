using ExchangeGateway.Contracts.V1;
using ExchangeGateway.Tests.Fixtures;
using ExchangeGateway.Tests.Shared;
using Google.Rpc;
using Grpc.Core;
using Microsoft.EntityFrameworkCore;

namespace ExchangeGateway.Tests.Arrivals;

public sealed class AnnounceArrivalTests(GatewayHostFixture fixture) : IClassFixture<GatewayHostFixture>
{
    private GatewayHost Host => fixture.Host;

    [Fact]
    public async Task AnnounceArrival_ValidFamily_IsStoredAnnouncedAndQueuedForMunicipalityAndInd()
    {
        var details = TestArrivals.Family("0363");

        var arrival = (await Host.Arrivals().AnnounceArrivalAsync(new AnnounceArrivalRequest { RequestId = Guid.NewGuid().ToString(), Arrival = details })).Arrival;

        Assert.Equal(ArrivalState.Announced, arrival.State);
        Assert.Equal(details, arrival.Details);
        Assert.Equal("coa", arrival.AnnouncedBy);
        Assert.All(arrival.Travellers, t => Assert.Equal(RegistrationStatus.NotReported, t.RegistrationStatus));
        await using var db = Host.Db();
        var notices = await db.Notices.Where(n => n.Subject == arrival.ArrivalId).ToListAsync();
        Assert.Equal(["ind", "municipality:0363"], notices.Select(n => n.FeedId).Order());
    }

    [Fact]
    public async Task AnnounceArrival_SameRequestIdTwice_ReturnsFirstAnswerAndStoresOnce()
    {
        var request = new AnnounceArrivalRequest { RequestId = Guid.NewGuid().ToString(), Arrival = TestArrivals.Family() };

        var first = await Host.Arrivals().AnnounceArrivalAsync(request);
        var second = await Host.Arrivals().AnnounceArrivalAsync(request);

        Assert.Equal(first, second);
        await using var db = Host.Db();
        Assert.Equal(1, await db.Arrivals.CountAsync(a => a.CaseReference == request.Arrival.CaseReference));
    }

    [Fact]
    public async Task AnnounceArrival_SameRequestIdTwice_TheRepeatAddsNoNotice()
    {
        var request = new AnnounceArrivalRequest { RequestId = Guid.NewGuid().ToString(), Arrival = TestArrivals.Family() };
        await Host.Arrivals().AnnounceArrivalAsync(request);
        await using var db = Host.Db();
        var before = await db.Notices.CountAsync();

        await Host.Arrivals().AnnounceArrivalAsync(request);

        Assert.Equal(before, await db.Notices.CountAsync());
        Assert.Empty(await db.Notices.Where(n => n.Type == "nl.asielketen.aankomst-aangekondigd" && !db.Arrivals.Any(a => a.Id == n.Subject)).Select(n => n.FeedId).ToListAsync());
    }

    [Fact]
    public async Task AnnounceArrival_RequestIdReusedForOtherContent_IsAlreadyExists()
    {
        var requestId = Guid.NewGuid().ToString();
        await Host.Arrivals().AnnounceArrivalAsync(new AnnounceArrivalRequest { RequestId = requestId, Arrival = TestArrivals.Family() });

        var error = await RpcAssert.ThrowsAsync(StatusCode.AlreadyExists, async () =>
            await Host.Arrivals().AnnounceArrivalAsync(new AnnounceArrivalRequest { RequestId = requestId, Arrival = TestArrivals.Family() }));

        Assert.Contains(requestId, error.Status.Detail, StringComparison.Ordinal);
        var original = error.GetRpcStatus()?.GetDetail<ErrorInfo>()?.Metadata["original_time"];
        Assert.NotNull(original);
        Assert.EndsWith("Z", original, StringComparison.Ordinal);
        Assert.Equal(DateTimeKind.Utc, DateTime.Parse(original, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.RoundtripKind).Kind);
    }

    [Fact]
    public async Task AnnounceArrival_EveryFieldWrong_NamesEachFieldAndStoresNothing()
    {
        var details = TestArrivals.Family();
        details.MunicipalityCode = "0457"; // Weesp, merged into Amsterdam on 2022-03-24
        details.Travellers[0].VNumber = "12345";
        details.Travellers[1].BirthDate = new Date { Year = 1990, Month = 0, Day = 4 };
        details.Referent.Bsn = "123456789";
        details.DestinationAddress.PostalCode = "0123AB";

        var badRequest = await RpcAssert.InvalidArgumentAsync(
            async () => await Host.Arrivals().AnnounceArrivalAsync(new AnnounceArrivalRequest { RequestId = "", Arrival = details }),
            "request_id", "arrival.municipality_code", "arrival.travellers[0].v_number", "arrival.travellers[1].birth_date.day",
            "arrival.referent.bsn", "arrival.destination_address.postal_code");

        Assert.Contains("0363", badRequest.FieldViolations.Single(v => v.Field == "arrival.municipality_code").Description, StringComparison.Ordinal);
        await using var db = Host.Db();
        Assert.False(await db.Arrivals.AnyAsync(a => a.CaseReference == details.CaseReference));
    }

    [Fact]
    public async Task AnnounceArrival_ByMunicipality_IsPermissionDenied()
    {
        await RpcAssert.ThrowsAsync(StatusCode.PermissionDenied, async () =>
            await Host.Arrivals("gemeente-amsterdam").AnnounceArrivalAsync(new AnnounceArrivalRequest { RequestId = "x", Arrival = TestArrivals.Family() }));
    }

    [Fact]
    public async Task AnnounceArrival_VNumberAlreadyInOpenArrival_IsFailedPreconditionAndStoresNothing()
    {
        var first = TestArrivals.Family("0363");
        await Host.Arrivals().AnnounceArrivalAsync(new AnnounceArrivalRequest { RequestId = Guid.NewGuid().ToString(), Arrival = first });
        var second = TestArrivals.Family("0344");
        second.Travellers[1].VNumber = first.Travellers[0].VNumber;

        var error = await RpcAssert.ThrowsAsync(StatusCode.FailedPrecondition, async () =>
            await Host.Arrivals().AnnounceArrivalAsync(new AnnounceArrivalRequest { RequestId = Guid.NewGuid().ToString(), Arrival = second }));

        var violation = Assert.Single(error.GetRpcStatus()!.GetDetail<Google.Rpc.PreconditionFailure>().Violations);
        Assert.Equal("TRAVELLER_IN_OPEN_ARRIVAL", violation.Type);
        Assert.Equal("arrival.travellers[1].v_number", violation.Subject);
        Assert.DoesNotContain(first.Travellers[0].VNumber, error.Status.Detail, StringComparison.Ordinal);
        await using var db = Host.Db();
        Assert.False(await db.Arrivals.AnyAsync(a => a.CaseReference == second.CaseReference));
    }

    [Fact]
    public async Task AnnounceArrival_VNumberOfACancelledArrival_IsAccepted()
    {
        var first = await Host.AnnounceAsync(TestArrivals.Family("0363"));
        await Host.Arrivals().CancelArrivalAsync(new CancelArrivalRequest { RequestId = ArrivalSteps.NewRequestId(), ArrivalId = first.ArrivalId, Reason = "Plans changed." });
        var again = TestArrivals.Family("0344");
        again.Travellers[0].VNumber = first.Details.Travellers[0].VNumber;

        var announced = await Host.AnnounceAsync(again);

        await using var db = Host.Db();
        var holders = await db.Travellers.Where(t => t.VNumber == again.Travellers[0].VNumber).ToDictionaryAsync(t => t.ArrivalId, t => t.OpenVNumber);
        Assert.Null(holders[first.ArrivalId]);
        Assert.Equal(again.Travellers[0].VNumber, holders[announced.ArrivalId]);
    }

    [Fact]
    public async Task AnnounceArrival_VNumberOfACompletedArrival_IsAccepted()
    {
        var arrival = await Host.RegisterAllAsync(await Host.AnnounceArrivedAsync(TestArrivals.Family("0363", travellers: 1)));
        await Host.CheckInAllAsync(arrival);
        var assign = new ReportBsnAssignedRequest { RequestId = ArrivalSteps.NewRequestId(), ArrivalId = arrival.ArrivalId };
        assign.Assignments.Add(new BsnAssignment { VNumber = arrival.Details.Travellers[0].VNumber, Bsn = TestArrivals.NewBsn() });
        Assert.Equal(ArrivalState.Completed, (await Host.Municipality().ReportBsnAssignedAsync(assign)).Arrival.State);
        var again = TestArrivals.Family("0344");
        again.Travellers[0].VNumber = arrival.Details.Travellers[0].VNumber;

        await Host.AnnounceAsync(again);
    }

    [Fact]
    public async Task AnnounceArrival_VNumberAmendedOutOfItsArrival_IsAccepted()
    {
        var first = await Host.AnnounceAsync(TestArrivals.Family("0363", travellers: 2));
        var freed = first.Details.Travellers[1].VNumber;
        var amended = first.Details.Clone();
        amended.Travellers.RemoveAt(1);
        await Host.Arrivals().AmendArrivalAsync(new AmendArrivalRequest { RequestId = ArrivalSteps.NewRequestId(), ArrivalId = first.ArrivalId, Arrival = amended });
        var again = TestArrivals.Family("0344");
        again.Travellers[0].VNumber = freed;

        await Host.AnnounceAsync(again);
    }
}
