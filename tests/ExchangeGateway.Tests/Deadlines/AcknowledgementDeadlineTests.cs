using ExchangeGateway.Contracts.V1;
using ExchangeGateway.Server.Deadlines;
using ExchangeGateway.Server.Feed;
using ExchangeGateway.Server.Identity;
using ExchangeGateway.Tests.Fixtures;
using ExchangeGateway.Tests.Shared;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace ExchangeGateway.Tests.Deadlines;

public sealed class AcknowledgementDeadlineTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromHours(1);

    private static Task<GatewayHost> StartAsync(FakeTimeProvider time, string? databasePath = null) =>
        GatewayHost.StartAsync(time, databasePath, options =>
        {
            options.AcknowledgementDeadline = Deadline;
            options.DeadlineSweepInterval = TimeSpan.FromMinutes(1);
        });

    [Fact]
    public async Task Sweep_MunicipalityNoticeUnacknowledgedPastDeadline_EscalatesOnceToCoaAndChain()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var host = await StartAsync(time);
        var arrival = (await host.Arrivals().AnnounceArrivalAsync(new AnnounceArrivalRequest { RequestId = Guid.NewGuid().ToString(), Arrival = TestArrivals.Family("0363", time: time) })).Arrival;

        time.Advance(Deadline + TimeSpan.FromMinutes(1));
        await Eventually.TrueAsync(() => HasEscalationNoticeAsync(host, FeedNames.Chain, arrival.ArrivalId, 2), "the municipality's and the IND's silence reached chain coordination");
        time.Advance(Deadline * 3);
        var again = await host.Services.GetRequiredService<AcknowledgementDeadline>().SweepAsync(CancellationToken.None);

        Assert.Equal(0, again); // fires once; escalation notices to COA never escalate themselves

        await using var db = host.Db();
        var toCoa = await db.Notices.Where(n => n.FeedId == FeedNames.Coa && n.Subject == arrival.ArrivalId && n.Type == NoticeTypes.Escalation).ToListAsync();
        var toChain = await db.Notices.Where(n => n.FeedId == FeedNames.Chain && n.Subject == arrival.ArrivalId && n.Type == NoticeTypes.Escalation).ToListAsync();
        Assert.Single(toCoa); // the municipality's silence; the IND's goes to chain coordination only
        Assert.Equal(2, toChain.Count); // municipality and IND; the escalations to COA never escalate again
        var escalated = (await host.Arrivals().GetArrivalAsync(new GetArrivalRequest { ArrivalId = arrival.ArrivalId })).Arrival;
        Assert.Equal(2, escalated.Escalations.Count);
        Assert.All(escalated.Escalations, e => Assert.Equal(EscalationKind.AcknowledgementOverdue, e.Kind));
        Assert.Contains(escalated.Escalations, e => e.Description.Contains("municipality 0363", StringComparison.Ordinal));
        Assert.Contains(escalated.History, h => h.Action == "escalated");
    }

    [Fact]
    public async Task Sweep_AcknowledgedInTime_DoesNotEscalate()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var host = await StartAsync(time);
        var arrival = (await host.Arrivals().AnnounceArrivalAsync(new AnnounceArrivalRequest { RequestId = Guid.NewGuid().ToString(), Arrival = TestArrivals.Family("0344", time: time) })).Arrival;
        await using (var db = host.Db())
        {
            var now = time.GetUtcNow().UtcDateTime;
            await db.Notices.Where(n => n.Subject == arrival.ArrivalId).ExecuteUpdateAsync(s => s.SetProperty(n => n.AcknowledgedAt, now));
        }

        time.Advance(Deadline * 2);
        await host.Services.GetRequiredService<AcknowledgementDeadline>().SweepAsync(CancellationToken.None);

        await using var check = host.Db();
        Assert.False(await check.Escalations.AnyAsync(e => e.ArrivalId == arrival.ArrivalId));
    }

    [Fact]
    public async Task Startup_DeadlinePassedWhileGatewayWasDown_EscalatesWhenUp()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        string arrivalId;
        string database;
        await using (var first = await StartAsync(time))
        {
            database = first.DatabasePath;
            arrivalId = (await first.Arrivals().AnnounceArrivalAsync(new AnnounceArrivalRequest { RequestId = Guid.NewGuid().ToString(), Arrival = TestArrivals.Family("0014", time: time) })).Arrival.ArrivalId;
        }

        time.Advance(Deadline * 5); // nobody is running
        await using var second = await StartAsync(time, database);

        await Eventually.TrueAsync(() => HasEscalationNoticeAsync(second, FeedNames.Coa, arrivalId, 1), "the restarted gateway escalated the overdue announcement");
    }

    [Fact]
    public async Task Escalate_NoticeAcknowledgedBetweenTheSweepsReadAndItsClaim_IsNotEscalated()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var host = await GatewayHost.StartAsync(time, configure: options =>
        {
            options.AcknowledgementDeadline = Deadline;
            options.DeadlineSweepInterval = TimeSpan.FromDays(1); // only this test sweeps
        });
        var arrival = await host.AnnounceAsync(TestArrivals.Family("0363", time: time));
        time.Advance(Deadline + TimeSpan.FromMinutes(1));
        var deadline = host.Services.GetRequiredService<AcknowledgementDeadline>();
        var due = await deadline.FindDueAsync(CancellationToken.None);
        Assert.Contains(due, n => n.FeedId == FeedNames.Municipality("0363") && n.Subject == arrival.ArrivalId);

        // Meanwhile the municipality's system acknowledges (through this instance or another one).
        await using (var reader = await FeedReader.OpenAsync(host.Feed("gemeente-amsterdam")))
        {
            await reader.AcknowledgeAsync((await reader.NextNoticeAsync()).Sequence);
        }
        await deadline.EscalateAsync(due, CancellationToken.None);

        var escalated = (await host.Arrivals().GetArrivalAsync(new GetArrivalRequest { ArrivalId = arrival.ArrivalId })).Arrival;
        Assert.DoesNotContain(escalated.Escalations, e => e.Description.Contains("municipality 0363", StringComparison.Ordinal));
    }

    private static async Task<bool> HasEscalationNoticeAsync(GatewayHost host, string feed, string arrivalId, int count)
    {
        await using var db = host.Db();
        return await db.Notices.CountAsync(n => n.FeedId == feed && n.Subject == arrivalId && n.Type == NoticeTypes.Escalation) >= count;
    }
}
