using ExchangeGateway.Contracts.V1;
using ExchangeGateway.Tests.Fixtures;
using ExchangeGateway.Tests.Shared;
using Grpc.Core;

namespace ExchangeGateway.Tests.Ind;

public sealed class LookupTravellerTests(GatewayHostFixture fixture) : IClassFixture<GatewayHostFixture>
{
    private GatewayHost Host => fixture.Host;

    private Task<LookupTravellerResponse> LookupAsync(string vNumber, string organisationId = "ind") =>
        Host.Ind(organisationId).LookupTravellerAsync(new LookupTravellerRequest { VNumber = vNumber }).ResponseAsync;

    [Fact]
    public async Task LookupTraveller_RegisteredWithBsn_ReturnsMunicipalityRegistrationAndBsn()
    {
        var arrival = await Host.RegisterAllAsync(await Host.AnnounceArrivedAsync(TestArrivals.Family("0344")));
        var vNumber = arrival.Details.Travellers[0].VNumber;
        var bsn = TestArrivals.NewBsn();
        var assign = new ReportBsnAssignedRequest { RequestId = ArrivalSteps.NewRequestId(), ArrivalId = arrival.ArrivalId };
        assign.Assignments.Add(new BsnAssignment { VNumber = vNumber, Bsn = bsn });
        await Host.Municipality("gemeente-utrecht").ReportBsnAssignedAsync(assign);

        var record = Assert.Single((await LookupAsync(vNumber)).Records);

        Assert.Equal(arrival.ArrivalId, record.ArrivalId);
        Assert.Equal("0344", record.MunicipalityCode);
        Assert.Equal(ArrivalState.Arrived, record.ArrivalState);
        Assert.Equal(RegistrationStatus.Registered, record.RegistrationStatus);
        Assert.Equal(TestArrivals.ToDate(ArrivalSteps.ArrivalDay(arrival)), record.RegisteredOn);
        Assert.Equal(bsn, record.Bsn);
        Assert.Equal(arrival.Details.ExpectedArrivalDate, record.ExpectedArrivalDate);
        Assert.Equal(arrival.AnnouncedAt, record.AnnouncedAt);
    }

    [Fact]
    public async Task LookupTraveller_JustAnnounced_ReturnsNotReportedWithoutBsn()
    {
        var arrival = await Host.AnnounceAsync(TestArrivals.Family("0014"));

        var record = Assert.Single((await LookupAsync(arrival.Details.Travellers[1].VNumber)).Records);

        Assert.Equal("0014", record.MunicipalityCode);
        Assert.Equal(ArrivalState.Announced, record.ArrivalState);
        Assert.Equal(RegistrationStatus.NotReported, record.RegistrationStatus);
        Assert.Null(record.RegisteredOn);
        Assert.Empty(record.Bsn);
    }

    [Fact]
    public async Task LookupTraveller_InCancelledAndLaterArrival_ReturnsBothNewestFirst()
    {
        var first = await Host.AnnounceAsync(TestArrivals.Family("0363"));
        await Host.Arrivals().CancelArrivalAsync(new CancelArrivalRequest { RequestId = ArrivalSteps.NewRequestId(), ArrivalId = first.ArrivalId, Reason = "Moved on." });
        var details = first.Details.Clone();
        details.MunicipalityCode = "0344";
        details.CaseReference += "-2";
        var second = await Host.AnnounceAsync(details);

        var records = (await LookupAsync(details.Travellers[0].VNumber)).Records;

        Assert.Equal([second.ArrivalId, first.ArrivalId], records.Select(r => r.ArrivalId));
        Assert.Equal([ArrivalState.Announced, ArrivalState.Cancelled], records.Select(r => r.ArrivalState));
    }

    [Fact]
    public async Task LookupTraveller_UnknownVNumber_IsNotFound()
    {
        await RpcAssert.ThrowsAsync(StatusCode.NotFound, () => LookupAsync(TestArrivals.NewVNumber()));
    }

    [Fact]
    public async Task LookupTraveller_ReferentVNumber_IsNotFound()
    {
        // The referent is not a traveller of the arrival.
        var arrival = await Host.AnnounceAsync(TestArrivals.Family());

        await RpcAssert.ThrowsAsync(StatusCode.NotFound, () => LookupAsync(arrival.Details.Referent.VNumber));
    }

    [Theory]
    [InlineData("")]
    [InlineData("12345")]
    [InlineData("12345678901")]
    [InlineData("12345abcde")]
    public async Task LookupTraveller_MalformedVNumber_IsInvalidArgument(string vNumber)
    {
        await RpcAssert.InvalidArgumentAsync(() => LookupAsync(vNumber), "v_number");
    }

    [Theory]
    [InlineData("coa")]
    [InlineData("gemeente-amsterdam")]
    [InlineData("ketenregie")]
    public async Task LookupTraveller_ByOtherThanInd_IsPermissionDenied(string organisationId)
    {
        var arrival = await Host.AnnounceAsync(TestArrivals.Family());

        await RpcAssert.ReasonAsync(StatusCode.PermissionDenied, "ROLE_NOT_ALLOWED",
            () => LookupAsync(arrival.Details.Travellers[0].VNumber, organisationId));
    }
}
