using ExchangeGateway.Contracts.V1;
using ExchangeGateway.Tests.Fixtures;
using ExchangeGateway.Tests.Shared;
using Grpc.Core;

namespace ExchangeGateway.Tests.Municipalities;

public sealed class ReportRegistrationTests(GatewayHostFixture fixture) : IClassFixture<GatewayHostFixture>
{
    private GatewayHost Host => fixture.Host;

    private Task<ArrivalResponse> ReportAsync(string arrivalId, string organisationId, params TravellerRegistration[] registrations)
    {
        var request = new ReportRegistrationRequest { RequestId = ArrivalSteps.NewRequestId(), ArrivalId = arrivalId };
        request.Registrations.AddRange(registrations);
        return Host.Municipality(organisationId).ReportRegistrationAsync(request).ResponseAsync;
    }

    private static TravellerRegistration Registered(string vNumber, DateOnly on) =>
        new() { VNumber = vNumber, Status = RegistrationStatus.Registered, RegisteredOn = TestArrivals.ToDate(on) };

    [Fact]
    public async Task ReportRegistration_Registered_StoresDateAndTellsCoaAndInd()
    {
        var arrival = await Host.AnnounceArrivedAsync(TestArrivals.Family("0363"));
        var vNumber = arrival.Details.Travellers[0].VNumber;
        var on = Host.Today();

        var reported = (await ReportAsync(arrival.ArrivalId, "gemeente-amsterdam", Registered(vNumber, on))).Arrival;

        var traveller = reported.Travellers[0];
        Assert.Equal(RegistrationStatus.Registered, traveller.RegistrationStatus);
        Assert.Equal(TestArrivals.ToDate(on), traveller.RegisteredOn);
        Assert.Equal(RegistrationStatus.NotReported, reported.Travellers[1].RegistrationStatus);
        Assert.Equal(ArrivalState.Arrived, reported.State);
        Assert.Equal("registration-reported", reported.History.Last().Action);
        Assert.Equal("gemeente-amsterdam", reported.History.Last().Actor);
        var notices = (await Host.NoticesAboutAsync(arrival.ArrivalId)).Where(n => n.Type == ArrivalSteps.RegistrationReported).ToList();
        Assert.Equal(["coa", "ind"], notices.Select(n => n.Feed));
        Assert.All(notices, n =>
        {
            var status = Assert.Single(n.Notice.RegistrationReported.Travellers);
            Assert.Equal(vNumber, status.VNumber);
            Assert.Equal(RegistrationStatus.Registered, status.RegistrationStatus);
            Assert.Equal("0363", n.Notice.RegistrationReported.MunicipalityCode);
            Assert.Contains(":systeem:gemeente-amsterdam", n.Notice.Source, StringComparison.Ordinal);
        });
    }

    [Fact]
    public async Task ReportRegistration_Refused_StoresReason()
    {
        var arrival = await Host.AnnounceArrivedAsync(TestArrivals.Family());
        var vNumber = arrival.Details.Travellers[1].VNumber;

        var reported = (await ReportAsync(arrival.ArrivalId, "gemeente-amsterdam", new TravellerRegistration
        {
            VNumber = vNumber,
            Status = RegistrationStatus.Refused,
            RefusalReason = "Identity not established (Wet BRP art. 2.4).",
        })).Arrival;

        var traveller = reported.Travellers[1];
        Assert.Equal(RegistrationStatus.Refused, traveller.RegistrationStatus);
        Assert.Equal("Identity not established (Wet BRP art. 2.4).", traveller.RefusalReason);
        Assert.Null(traveller.RegisteredOn);
    }

    [Fact]
    public async Task ReportRegistration_Pending_StoresPendingForEveryTravellerReported()
    {
        var arrival = await Host.AnnounceArrivedAsync(TestArrivals.Family());

        var reported = (await ReportAsync(arrival.ArrivalId, "gemeente-amsterdam",
            [.. arrival.Details.Travellers.Select(t => new TravellerRegistration { VNumber = t.VNumber, Status = RegistrationStatus.Pending })])).Arrival;

        Assert.All(reported.Travellers, t => Assert.Equal(RegistrationStatus.Pending, t.RegistrationStatus));
    }

    [Fact]
    public async Task ReportRegistration_RefusedWithoutReasonAndRegisteredWithoutDate_IsInvalidArgument()
    {
        var arrival = await Host.AnnounceArrivedAsync(TestArrivals.Family());

        await RpcAssert.InvalidArgumentAsync(() => ReportAsync(arrival.ArrivalId, "gemeente-amsterdam",
                new TravellerRegistration { VNumber = arrival.Details.Travellers[0].VNumber, Status = RegistrationStatus.Refused },
                new TravellerRegistration { VNumber = arrival.Details.Travellers[1].VNumber, Status = RegistrationStatus.Registered }),
            "registrations[0].refusal_reason", "registrations[1].registered_on");
    }

    [Fact]
    public async Task ReportRegistration_BeforeTravellersArrived_IsFailedPrecondition()
    {
        var arrival = await Host.AnnounceAsync(TestArrivals.Family());
        await Host.DepartAsync(arrival.ArrivalId);

        await RpcAssert.FailedPreconditionAsync(() => ReportAsync(arrival.ArrivalId, "gemeente-amsterdam",
            new TravellerRegistration { VNumber = arrival.Details.Travellers[0].VNumber, Status = RegistrationStatus.Pending }), "ARRIVAL_STATE");

        Assert.DoesNotContain(await Host.NoticesAboutAsync(arrival.ArrivalId), n => n.Type == ArrivalSteps.RegistrationReported);
    }

    [Fact]
    public async Task ReportRegistration_RegisteredBeforeArrivalDay_IsInvalidArgument()
    {
        var arrival = await Host.AnnounceArrivedAsync(TestArrivals.Family());
        var dayBefore = ArrivalSteps.ArrivalDay(arrival).AddDays(-1);

        await RpcAssert.InvalidArgumentAsync(() => ReportAsync(arrival.ArrivalId, "gemeente-amsterdam",
            Registered(arrival.Details.Travellers[0].VNumber, dayBefore)), "registrations[0].registered_on");

        Assert.Equal(RegistrationStatus.NotReported, (await Host.GetAsync(arrival.ArrivalId)).Travellers[0].RegistrationStatus);
    }

    [Fact]
    public async Task ReportRegistration_RegisteredOnArrivalDay_IsAccepted()
    {
        var arrival = await Host.AnnounceArrivedAsync(TestArrivals.Family());

        var reported = (await ReportAsync(arrival.ArrivalId, "gemeente-amsterdam",
            Registered(arrival.Details.Travellers[0].VNumber, ArrivalSteps.ArrivalDay(arrival)))).Arrival;

        Assert.Equal(RegistrationStatus.Registered, reported.Travellers[0].RegistrationStatus);
    }

    [Fact]
    public async Task ReportRegistration_RegisteredInFuture_IsInvalidArgument()
    {
        var arrival = await Host.AnnounceArrivedAsync(TestArrivals.Family());

        await RpcAssert.InvalidArgumentAsync(() => ReportAsync(arrival.ArrivalId, "gemeente-amsterdam",
            Registered(arrival.Details.Travellers[0].VNumber, Host.Today().AddDays(1))), "registrations[0].registered_on");
    }

    [Fact]
    public async Task ReportRegistration_VNumberNotInArrival_IsInvalidArgument()
    {
        var arrival = await Host.AnnounceArrivedAsync(TestArrivals.Family());

        await RpcAssert.InvalidArgumentAsync(() => ReportAsync(arrival.ArrivalId, "gemeente-amsterdam",
            Registered(TestArrivals.NewVNumber(), Host.Today())), "registrations[0].v_number");
    }

    [Fact]
    public async Task ReportRegistration_RegisteredThenPending_IsFailedPrecondition()
    {
        var arrival = await Host.AnnounceArrivedAsync(TestArrivals.Family());
        var vNumber = arrival.Details.Travellers[0].VNumber;
        await ReportAsync(arrival.ArrivalId, "gemeente-amsterdam", Registered(vNumber, Host.Today()));

        await RpcAssert.FailedPreconditionAsync(() => ReportAsync(arrival.ArrivalId, "gemeente-amsterdam",
            new TravellerRegistration { VNumber = vNumber, Status = RegistrationStatus.Pending }), "REGISTRATION_STATE");
    }

    [Fact]
    public async Task ReportRegistration_ByOtherMunicipality_IsNotFound()
    {
        var arrival = await Host.AnnounceArrivedAsync(TestArrivals.Family("0363"));

        await RpcAssert.ThrowsAsync(StatusCode.NotFound, () => ReportAsync(arrival.ArrivalId, "gemeente-utrecht",
            Registered(arrival.Details.Travellers[0].VNumber, Host.Today())));

        Assert.Equal(RegistrationStatus.NotReported, (await Host.GetAsync(arrival.ArrivalId)).Travellers[0].RegistrationStatus);
    }

    [Fact]
    public async Task ReportRegistration_ByOrganisationServingTheSecondOfItsCodes_IsAccepted()
    {
        var arrival = await Host.AnnounceArrivedAsync(TestArrivals.Family("0590"));

        var reported = (await ReportAsync(arrival.ArrivalId, "brp-drechtsteden",
            Registered(arrival.Details.Travellers[0].VNumber, Host.Today()))).Arrival;

        Assert.Equal(RegistrationStatus.Registered, reported.Travellers[0].RegistrationStatus);
    }

    [Fact]
    public async Task ReportRegistration_ByCoa_IsPermissionDenied()
    {
        var arrival = await Host.AnnounceArrivedAsync(TestArrivals.Family());

        await RpcAssert.ReasonAsync(StatusCode.PermissionDenied, "ROLE_NOT_ALLOWED", () => ReportAsync(arrival.ArrivalId, "coa",
            Registered(arrival.Details.Travellers[0].VNumber, Host.Today())));
    }
}
