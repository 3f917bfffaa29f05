using ExchangeGateway.Contracts.V1;
using ExchangeGateway.Server.Deadlines;
using ExchangeGateway.Server.Rules;
using ExchangeGateway.Tests.Fixtures;
using ExchangeGateway.Tests.Shared;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace ExchangeGateway.Tests.Deadlines;

public sealed class ObligationDeadlinesTests
{
    private static Task<GatewayHost> StartAsync(FakeTimeProvider time, string? databasePath = null) =>
        GatewayHost.StartAsync(time, databasePath, options => options.DeadlineSweepInterval = TimeSpan.FromHours(1));

    /// <summary>Noon in Amsterdam tomorrow (the test certificates are issued today), so that moving by
    /// days never lands on a day boundary by accident.</summary>
    private static FakeTimeProvider Clock()
    {
        var tomorrow = AmsterdamCalendar.Today(TimeProvider.System).AddDays(1);
        return new FakeTimeProvider(AmsterdamCalendar.StartOfDayUtc(tomorrow).AddHours(12));
    }

    /// <summary>Moves the clock to <paramref name="offset"/> from the start of <paramref name="day"/> in Amsterdam.</summary>
    private static void MoveTo(FakeTimeProvider time, DateOnly day, TimeSpan offset) =>
        time.Advance(new DateTimeOffset(AmsterdamCalendar.StartOfDayUtc(day) + offset, TimeSpan.Zero) - time.GetUtcNow());

    private static Task<int> SweepAsync(GatewayHost host) => host.Services.GetRequiredService<ObligationDeadlines>().SweepAsync(CancellationToken.None);

    private static async Task<List<string>> EscalationFeedsAsync(GatewayHost host, string arrivalId, EscalationKind kind) =>
        [.. (await host.NoticesAboutAsync(arrivalId))
            .Where(n => n.Type == ArrivalSteps.Escalation && n.Notice.EscalationRaised.Escalation.Kind == kind)
            .Select(n => n.Feed).Order()];

    [Fact]
    public async Task Sweep_ConsentUndecidedAfterDecideByDay_EscalatesOnceToMunicipalityCoaAndChain()
    {
        var time = Clock();
        await using var host = await StartAsync(time);
        var arrival = await host.AnnounceAsync(TestArrivals.Family("0363", 3, time));
        var decideBy = new DateOnly(arrival.Consent.DecideBy.Year, arrival.Consent.DecideBy.Month, arrival.Consent.DecideBy.Day);

        MoveTo(time, decideBy, TimeSpan.FromHours(23.9)); // the last day is not over yet
        await SweepAsync(host);
        Assert.Empty(await EscalationFeedsAsync(host, arrival.ArrivalId, EscalationKind.ConsentOverdue));

        MoveTo(time, decideBy.AddDays(1), TimeSpan.FromMinutes(1));
        await SweepAsync(host);
        await SweepAsync(host);

        Assert.Equal(["chain", "coa", "municipality:0363"], await EscalationFeedsAsync(host, arrival.ArrivalId, EscalationKind.ConsentOverdue));
        var escalated = await host.GetAsync(arrival.ArrivalId);
        var escalation = Assert.Single(escalated.Escalations, e => e.Kind == EscalationKind.ConsentOverdue);
        Assert.Contains("has not decided on consent for a household of 3", escalation.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sweep_ConsentDecidedInTime_DoesNotEscalate()
    {
        var time = Clock();
        await using var host = await StartAsync(time);
        var arrival = await host.AnnounceAsync(TestArrivals.Family("0363", 3, time));
        await host.DecideConsentAsync(arrival, ConsentStatus.Granted);

        time.Advance(TimeSpan.FromDays(30));
        await SweepAsync(host);

        Assert.Empty(await EscalationFeedsAsync(host, arrival.ArrivalId, EscalationKind.ConsentOverdue));
    }

    [Fact]
    public async Task Sweep_NotReportedToBrpByFifthDayAfterArrival_Escalates()
    {
        var time = Clock();
        await using var host = await StartAsync(time);
        var arrival = await host.AnnounceArrivedAsync(TestArrivals.Family("0363", 2, time));
        var arrivedOn = ArrivalSteps.ArrivalDay(arrival);

        MoveTo(time, arrivedOn.AddDays(5), TimeSpan.FromHours(23.9)); // art. 2.38: the 5th day is still in time
        await SweepAsync(host);
        Assert.Empty(await EscalationFeedsAsync(host, arrival.ArrivalId, EscalationKind.RegistrationOverdue));

        MoveTo(time, arrivedOn.AddDays(6), TimeSpan.FromMinutes(1));
        await SweepAsync(host);

        Assert.Equal(["chain", "coa", "municipality:0363"], await EscalationFeedsAsync(host, arrival.ArrivalId, EscalationKind.RegistrationOverdue));
        var escalation = Assert.Single((await host.GetAsync(arrival.ArrivalId)).Escalations, e => e.Kind == EscalationKind.RegistrationOverdue);
        Assert.Contains("2 of 2 traveller(s) not reported to the BRP", escalation.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sweep_ReportedPendingInTime_DoesNotEscalateRegistration()
    {
        var time = Clock();
        await using var host = await StartAsync(time);
        var arrival = await host.AnnounceArrivedAsync(TestArrivals.Family("0344", 1, time));
        var request = new ReportRegistrationRequest { RequestId = ArrivalSteps.NewRequestId(), ArrivalId = arrival.ArrivalId };
        request.Registrations.Add(new TravellerRegistration { VNumber = arrival.Details.Travellers[0].VNumber, Status = RegistrationStatus.Pending });
        await host.Municipality("gemeente-utrecht").ReportRegistrationAsync(request);

        time.Advance(TimeSpan.FromDays(10));
        await SweepAsync(host);

        Assert.Empty(await EscalationFeedsAsync(host, arrival.ArrivalId, EscalationKind.RegistrationOverdue));
    }

    [Fact]
    public async Task Sweep_NareizigerNotCheckedInAtInd_EscalatesToIndMunicipalityCoaAndChain()
    {
        var time = Clock();
        await using var host = await StartAsync(time);
        var arrival = await host.RegisterAllAsync(await host.AnnounceArrivedAsync(TestArrivals.Family("0363", 2, time)));
        await host.Ind().ReportCheckInAsync(new ReportCheckInRequest { RequestId = ArrivalSteps.NewRequestId(), VNumber = arrival.Details.Travellers[0].VNumber });

        MoveTo(time, ArrivalSteps.ArrivalDay(arrival).AddDays(15), TimeSpan.FromMinutes(1));
        await SweepAsync(host);

        Assert.Equal(["chain", "coa", "ind", "municipality:0363"], await EscalationFeedsAsync(host, arrival.ArrivalId, EscalationKind.CheckInOverdue));
        var escalation = Assert.Single((await host.GetAsync(arrival.ArrivalId)).Escalations, e => e.Kind == EscalationKind.CheckInOverdue);
        Assert.Contains("1 of 2 traveller(s) have not checked in at the IND", escalation.Description, StringComparison.Ordinal);
        Assert.Empty(await EscalationFeedsAsync(host, arrival.ArrivalId, EscalationKind.RegistrationOverdue)); // registered in time
    }

    [Fact]
    public async Task Sweep_CancelledBeforeDeadline_DoesNotEscalate()
    {
        var time = Clock();
        await using var host = await StartAsync(time);
        var arrival = await host.AnnounceAsync(TestArrivals.Family("0363", 4, time));
        await host.Arrivals().CancelArrivalAsync(new CancelArrivalRequest { RequestId = ArrivalSteps.NewRequestId(), ArrivalId = arrival.ArrivalId, Reason = "Household split." });

        time.Advance(TimeSpan.FromDays(30));
        await SweepAsync(host);

        await using var db = host.Db();
        Assert.False(await db.Deadlines.AnyAsync(d => d.ArrivalId == arrival.ArrivalId));
    }

    [Fact]
    public async Task Sweep_TwoInstancesOnOneDatabase_FireEachDeadlineOnce()
    {
        var time = Clock();
        await using var first = await StartAsync(time);
        await using var second = await StartAsync(time, first.DatabasePath);
        var arrivals = new List<Arrival>();
        for (var i = 0; i < 5; i++)
        {
            arrivals.Add(await first.AnnounceArrivedAsync(TestArrivals.Family("0363", 1, time)));
        }

        time.Advance(TimeSpan.FromDays(30));
        await Task.WhenAll(SweepAsync(first), SweepAsync(second), SweepAsync(first), SweepAsync(second));

        foreach (var arrival in arrivals)
        {
            Assert.Equal(["chain", "coa", "municipality:0363"], await EscalationFeedsAsync(first, arrival.ArrivalId, EscalationKind.RegistrationOverdue));
            Assert.Equal(["chain", "coa", "ind", "municipality:0363"], await EscalationFeedsAsync(first, arrival.ArrivalId, EscalationKind.CheckInOverdue));
        }
    }

    [Fact]
    public async Task Startup_DeadlinePassedWhileGatewayWasDown_EscalatesWhenUp()
    {
        var time = Clock();
        string arrivalId;
        string database;
        await using (var before = await StartAsync(time))
        {
            database = before.DatabasePath;
            arrivalId = (await before.AnnounceAsync(TestArrivals.Family("0014", 3, time))).ArrivalId;
        }

        time.Advance(TimeSpan.FromDays(12)); // nobody is running when the consent decision falls due
        await using var after = await StartAsync(time, database);

        await Eventually.TrueAsync(async () => (await EscalationFeedsAsync(after, arrivalId, EscalationKind.ConsentOverdue)).Count == 3,
            "the restarted gateway escalated the overdue consent decision");
    }
}
