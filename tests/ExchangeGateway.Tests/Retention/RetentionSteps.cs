using ExchangeGateway.Contracts.V1;
using ExchangeGateway.Server.Retention;
using ExchangeGateway.Tests.Fixtures;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace ExchangeGateway.Tests.Retention;

/// <summary>A gateway on fake time for retention tests, and the steps that close an arrival.</summary>
internal static class RetentionSteps
{
    public static readonly TimeSpan Retention = TimeSpan.FromDays(90);

    /// <summary>The acknowledgement deadline is pushed far out: an escalation is activity on the
    /// arrival and would (rightly) postpone its erasure, which is not what these tests are about.</summary>
    public static Task<GatewayHost> StartAsync(FakeTimeProvider time, string? databasePath = null) =>
        GatewayHost.StartAsync(time, databasePath, options =>
        {
            options.AcknowledgementDeadline = TimeSpan.FromDays(10_000);
            options.DeadlineSweepInterval = TimeSpan.FromDays(1); // fewer fake timer ticks per 90 days
            options.Retention.PersonalDataRetention = Retention;
            options.Retention.BatchSize = 2;
        });

    public static Task<int> SweepAsync(this GatewayHost host) =>
        host.Services.GetRequiredService<RetentionSweep>().RunAsync(CancellationToken.None);

    /// <summary>Announces, arrives, registers and assigns a BSN to every traveller: COMPLETED.</summary>
    public static async Task<Arrival> CompleteAsync(this GatewayHost host, ArrivalDetails details, IReadOnlyList<string> bsns, string aNumber = "")
    {
        var registered = await host.RegisterAllAsync(await host.AnnounceArrivedAsync(details));
        if (details.Kind == ArrivalKind.FamilyReunification)
        {
            await host.CheckInAllAsync(registered); // nareizigers complete with the IND check-in
        }
        var request = new ReportBsnAssignedRequest { RequestId = ArrivalSteps.NewRequestId(), ArrivalId = registered.ArrivalId };
        request.Assignments.AddRange(details.Travellers.Select((t, i) => new BsnAssignment { VNumber = t.VNumber, Bsn = bsns[i], ANumber = i == 0 ? aNumber : "" }));
        var completed = (await host.Municipality(ArrivalSteps.OrganisationServing(details.MunicipalityCode)).ReportBsnAssignedAsync(request)).Arrival;
        Assert.Equal(ArrivalState.Completed, completed.State);
        return completed;
    }

    public static async Task<Arrival> CancelAsync(this GatewayHost host, string arrivalId, string reason = "Housing fell through.") =>
        (await host.Arrivals().CancelArrivalAsync(new CancelArrivalRequest { RequestId = ArrivalSteps.NewRequestId(), ArrivalId = arrivalId, Reason = reason })).Arrival;
}
