using ExchangeGateway.Cli.Soak;
using ExchangeGateway.EndToEnd.Fixtures;
using Xunit.Abstractions;

namespace ExchangeGateway.EndToEnd;

/// <summary>The durability promise under SIGKILL: 16 COA clients announce concurrently to 20
/// municipalities while the real gateway process is killed at random moments and restarted on the
/// same database; subscribers on every recipient feed acknowledge what they get. Every announcement
/// answered OK must be stored once and delivered under one notice id per recipient feed; nothing may
/// be stored for an announcement that never got OK; every feed runs 1..head without gaps.
/// The same run at a larger scale: <c>exgw soak</c>.</summary>
public sealed class CrashRecoveryTests(ITestOutputHelper output)
{
    private static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(3);

    [Fact]
    public async Task AnnounceArrival_GatewaySigkilledThreeTimesUnderLoad_NothingOkLostNothingStoredTwiceEveryNoticeDeliveredOnce()
    {
        var codes = ChaosPki.OpenMunicipalityCodes(20);
        var certificates = Directory.CreateTempSubdirectory("exgw-e2e-chaos-pki-").FullName;
        ChaosPki.Generate(certificates, codes);
        await using var gateway = await TestGateway.StartAsync(certificates);
        var seed = Environment.TickCount;
        output.WriteLine($"seed {seed}, gateway {gateway.Address}, municipalities {string.Join(' ', codes)}");
        var run = new CrashRecoveryRun(gateway, new CrashRecoveryOptions
        {
            MunicipalityCodes = codes,
            Clients = 16,
            Cycles = 3,
            AnnouncementsPerCycle = 5,
            MinKillDelay = TimeSpan.FromMilliseconds(100),
            MaxKillDelay = TimeSpan.FromMilliseconds(600),
            Seed = seed,
        }, output.WriteLine);

        using var timeout = new CancellationTokenSource(RunTimeout);
        var report = await run.RunAsync(timeout.Token);

        var figures = report.Describe();
        output.WriteLine(figures);
        Assert.Equal(3, report.Cycles);
        Assert.True(report.Ok > 0, figures);
        Assert.True(report.Lost.Count == 0, "Answered OK but lost:\n" + figures);
        Assert.True(report.StoredTwice.Count == 0, "Stored twice:\n" + figures);
        Assert.True(report.StoredDespiteError.Count == 0, "Stored although no call got OK:\n" + figures);
        Assert.True(report.UnknownArrivals.Count == 0, "Arrivals nobody announced:\n" + figures);
        Assert.True(report.Undelivered.Count == 0, "Not delivered:\n" + figures);
        Assert.True(report.SeveralNoticeIds.Count == 0, "Delivered under several notice ids:\n" + figures);
        Assert.True(report.FeedProblems.Count == 0, "Feed gaps or unacknowledged notices:\n" + figures + "\n" + gateway.RecentOutput);
        // One arrival per request_id: ListArrivals counts exactly the distinct OK announcements.
        Assert.Equal(report.Ok, report.ArrivalsStored);
        Directory.Delete(certificates, recursive: true);
    }
}
