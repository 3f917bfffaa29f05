using System.Diagnostics;
using ExchangeGateway.Client.Feed;
using ExchangeGateway.EndToEnd.Fixtures;
using ExchangeGateway.Tests.Shared;
using Xunit.Abstractions;

namespace ExchangeGateway.EndToEnd;

/// <summary>A graceful stop (SIGTERM, as a service manager sends on every deploy) of a gateway that has
/// subscribers: it must end their streams and exit promptly, not hang until the host's shutdown
/// timeout, and the subscribers must resume on the restarted gateway. Found with <c>exgw soak</c>
/// stopping the gateway with SIGTERM: every stop took the full 30 s.</summary>
public sealed class GracefulStopTests(ITestOutputHelper output)
{
    private const string Announced = "nl.asielketen.aankomst-aangekondigd";

    [Fact]
    public async Task Serve_SigtermWithSubscriberConnected_ExitsWithinSecondsAndSubscriberResumesAfterRestart()
    {
        await using var gateway = await TestGateway.StartAsync();
        using var coa = gateway.ClientFor("coa");
        using var groningen = gateway.ClientFor("gemeente-groningen");
        var before = await coa.AnnounceArrivalAsync(TestArrivals.Family("0014", travellers: 1));
        await using var feed = new FeedProbe(groningen, new SubscriptionOptions { ReconnectMaxDelay = TimeSpan.FromSeconds(1) }, acknowledgeEverything: true);
        await feed.WaitForAsync(Announced, before.ArrivalId);

        var clock = Stopwatch.StartNew();
        var exitCode = await gateway.TerminateAsync(TimeSpan.FromSeconds(60));
        output.WriteLine($"exit code {exitCode?.ToString() ?? "(none)"} {clock.Elapsed.TotalSeconds:F1} s after SIGTERM");

        Assert.True(exitCode is not null && clock.Elapsed < TimeSpan.FromSeconds(10),
            $"The gateway took {clock.Elapsed.TotalSeconds:F1} s to stop (exit code {exitCode?.ToString() ?? "none"}) with a subscriber connected.\n{gateway.RecentOutput}");
        Assert.Equal(0, exitCode);
        await gateway.RestartAsync();
        var after = await coa.AnnounceArrivalAsync(TestArrivals.Family("0014", travellers: 1));
        await feed.WaitForAsync(Announced, after.ArrivalId);
        Assert.True(feed.Subscriber.Connections >= 2, $"Connections: {feed.Subscriber.Connections}");
    }
}
