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

/// <summary>The notices of an unannounced-arrival report have the report's id as subject, not an
/// arrival; the acknowledgement deadline has no arrival to raise an escalation on (an escalation
/// belongs to an arrival), so it marks them and goes on with the rest.</summary>
public sealed class UnannouncedReportDeadlineTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromHours(1);

    [Fact]
    public async Task Sweep_ReportNoticesUnacknowledgedPastDeadline_ClaimsThemWithoutEscalationAndStillEscalatesArrivals()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var host = await GatewayHost.StartAsync(time, configure: options =>
        {
            options.AcknowledgementDeadline = Deadline;
            options.DeadlineSweepInterval = TimeSpan.FromMinutes(1);
        });
        var request = new ReportUnannouncedArrivalRequest
        {
            RequestId = Guid.NewGuid().ToString(),
            ArrivedOn = TestArrivals.ToDate(host.Today()),
        };
        request.VNumbers.Add(TestArrivals.NewVNumber());
        var report = await host.Municipality("gemeente-utrecht").ReportUnannouncedArrivalAsync(request);
        var arrival = await host.AnnounceAsync(TestArrivals.Family("0344", time: time));

        time.Advance(Deadline + TimeSpan.FromMinutes(1));
        await host.Services.GetRequiredService<AcknowledgementDeadline>().SweepAsync(CancellationToken.None);

        await using var db = host.Db();
        var reportNotices = await db.Notices.AsNoTracking().Where(n => n.Subject == report.ReportId).ToListAsync();
        Assert.All(reportNotices.Where(n => n.FeedId != FeedNames.Chain), n => Assert.NotNull(n.EscalatedAt));
        Assert.False(await db.Notices.AnyAsync(n => n.Type == NoticeTypes.Escalation && n.Subject == report.ReportId));
        // The arrival announced in the same period escalates as always (municipality and IND silence).
        var escalated = await host.GetAsync(arrival.ArrivalId);
        Assert.Equal(2, escalated.Escalations.Count);
        Assert.All(escalated.Escalations, e => Assert.Equal(EscalationKind.AcknowledgementOverdue, e.Kind));
        Assert.Equal(0, await host.Services.GetRequiredService<AcknowledgementDeadline>().SweepAsync(CancellationToken.None));
    }
}
