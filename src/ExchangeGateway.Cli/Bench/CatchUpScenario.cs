using System.Diagnostics;
using ExchangeGateway.Client.Feed;

namespace ExchangeGateway.Cli.Bench;

internal sealed record CatchUpResult(int Backlog, string Municipality, uint Window, double SeedSeconds, double StartUpSeconds,
    double AllReceivedSeconds, double AllAcknowledgedSeconds, double NoticesPerSecond, int Received, int Confirmed, double ServerCpuMsPerNotice);

/// <summary>Scenario 5: one municipality comes back to a backlog and reads it all, acknowledging
/// as it goes. The backlog (with its arrival rows, so acknowledging does the gateway's full work)
/// is written straight into the stopped gateway's database.</summary>
internal static class CatchUpScenario
{
    private const uint Window = 1000;

    public static async Task RunAsync(BenchContext bench, CancellationToken cancellationToken)
    {
        var count = bench.Profile.BacklogCount;
        var municipality = bench.Pki.Municipalities.First(m => m.Code == "0363");
        await bench.EnsureDatabaseAsync(cancellationToken);
        Dictionary<string, long> heads = [];
        var seed = await BacklogSeeder.TimeAsync(async () => heads = await BacklogSeeder.SeedAsync(
            bench.Database, bench.Pki, [municipality], count, withArrivals: true, acknowledgedShare: 0, cancellationToken));
        var head = heads.Values.Single();
        bench.Say($"seeded {count:N0} notices for municipality {municipality.Code} in {seed.TotalSeconds:0.0} s");

        var (gateway, connections, startUp) = await bench.StartGatewayAsync(bench.Database, cancellationToken);
        await using var running = gateway;
        using var channels = connections;
        await bench.WarmUpAsync(connections, municipality.Code, cancellationToken);
        var subscriber = connections.For(municipality.OrganisationId).Subscribe(new SubscriptionOptions { MunicipalityCode = municipality.Code, MaxUnacknowledged = Window });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var received = 0;
        var confirmed = 0;
        long lastReceived = 0;
        var allConfirmed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var cpuBefore = gateway.CpuTime();
        var start = Stopwatch.GetTimestamp();
        var reader = Task.Run(async () =>
        {
            await foreach (var notice in subscriber.ReadAllAsync(stop.Token))
            {
                if ((long)notice.Notice.Sequence <= head)
                {
                    _ = notice.AcknowledgeAsync(stop.Token);
                    continue;
                }
                if (++received == count)
                {
                    lastReceived = Stopwatch.GetTimestamp();
                }
                _ = ConfirmAsync(notice);
            }
        }, stop.Token);

        async Task ConfirmAsync(ReceivedNotice notice)
        {
            await notice.AcknowledgeAsync(stop.Token);
            if (Interlocked.Increment(ref confirmed) == count)
            {
                allConfirmed.TrySetResult();
            }
        }

        var complete = await EndToEndScenario.WaitAsync(allConfirmed.Task, bench.Profile.PhaseLimit, cancellationToken);
        var elapsed = Stopwatch.GetElapsedTime(start);
        var cpuPerNotice = (gateway.CpuTime() - cpuBefore).TotalMilliseconds / Math.Max(1, Volatile.Read(ref confirmed));
        await stop.CancelAsync();
        await reader.ContinueWith(_ => { }, TaskScheduler.Default);
        await gateway.StopAsync();

        var receivedSeconds = lastReceived > 0 ? Stopwatch.GetElapsedTime(start, lastReceived).TotalSeconds : double.NaN;
        var rate = Volatile.Read(ref confirmed) / elapsed.TotalSeconds;
        var result = new CatchUpResult(count, municipality.Code, Window, seed.TotalSeconds, startUp.TotalSeconds, receivedSeconds,
            complete ? elapsed.TotalSeconds : double.NaN, rate, received, Volatile.Read(ref confirmed), cpuPerNotice);
        bench.Results.Scenarios["catchUp"] = result;
        bench.Say($"catch-up of {count:N0}: all received {receivedSeconds:0.00} s, all acknowledged {elapsed.TotalSeconds:0.00} s, {rate:N0} notices/s");

        const string scenario = "5 catch-up";
        var ping = bench.BaselineAt(1);
        bench.Results.Add(new Figure(scenario, $"{count:N0}-notice backlog, one stream (window {Window}): all received", receivedSeconds, "s"));
        bench.Results.Add(new Figure(scenario, complete ? "all acknowledged" : $"all acknowledged (stopped at the limit: {result.Confirmed:N0} of {count:N0} confirmed)", result.AllAcknowledgedSeconds, "s"));
        bench.Results.Add(new Figure(scenario, "server CPU per notice (deliver, acknowledge)", cpuPerNotice, "ms", Target: "<= 0.08 ms", Pass: complete && cpuPerNotice <= 0.08));
        bench.Results.Add(new Figure(scenario, "notices/s received and acknowledged", rate, "/s",
            ThroughputScenario.Ratio(rate, ping.OperationsPerSecond), "Ping @1 calls/s", ">= 12,000/s (and >= 0.9 × RabbitMQ end to end)", complete && rate >= 12_000));
    }
}
