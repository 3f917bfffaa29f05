using System.CommandLine;
using System.Diagnostics;
using ExchangeGateway.Cli.Serve;

namespace ExchangeGateway.Cli.Soak;

/// <summary><c>exgw soak</c>: the crash-recovery durability run at a larger scale, from one command,
/// against a gateway child process of its own (not part of CI). Exits 0 only if nothing answered OK
/// was lost, nothing was stored twice, and every other check of the run held.</summary>
internal static class SoakCommand
{
    public static Command Create()
    {
        var cycles = new Option<int>("--cycles") { Description = "SIGKILL-and-restart cycles.", DefaultValueFactory = _ => 10 };
        var clients = new Option<int>("--clients") { Description = "Concurrent COA clients announcing.", DefaultValueFactory = _ => 16 };
        var municipalities = new Option<int>("--municipalities") { Description = "Municipality feeds announced to (one subscriber each).", DefaultValueFactory = _ => 20 };
        var duration = new Option<double>("--duration-per-cycle") { Description = "Seconds of traffic after each (re)start before the kill window opens.", DefaultValueFactory = _ => 10 };
        var maxKillDelay = new Option<int>("--max-kill-delay-ms") { Description = "The kill comes at a random moment up to this many ms into the kill window (at least 100).", DefaultValueFactory = _ => 600 };
        var seed = new Option<int?>("--seed") { Description = "Seed of the random kill moments and destinations (default: random)." };
        var keep = new Option<bool>("--keep") { Description = "Keep the work directory (database, certificates) afterwards." };
        var graceful = new Option<bool>("--graceful") { Description = "Stop the gateway with SIGTERM (a graceful stop, as on a deploy) instead of SIGKILL." };
        var subscribers = new Option<int>("--subscribers-per-feed") { Description = "Subscribers on every feed, as a municipality running several connectors.", DefaultValueFactory = _ => 1 };
        var command = new Command("soak", "Durability soak: concurrent COA clients announce while the gateway (a child process) is SIGKILLed at random moments and restarted; then checks that nothing answered OK was lost, stored twice or left undelivered.")
        {
            cycles, clients, municipalities, duration, maxKillDelay, seed, keep, graceful, subscribers,
        };
        command.SetAction(async (result, cancellationToken) =>
        {
            var settings = new
            {
                Cycles = result.GetValue(cycles),
                Clients = result.GetValue(clients),
                Municipalities = result.GetValue(municipalities),
                Duration = TimeSpan.FromSeconds(result.GetValue(duration)),
                MaxKillDelay = TimeSpan.FromMilliseconds(Math.Max(100, result.GetValue(maxKillDelay))),
                Seed = result.GetValue(seed) ?? Environment.TickCount,
                Keep = result.GetValue(keep),
                Graceful = result.GetValue(graceful),
                Subscribers = result.GetValue(subscribers),
            };
            if (settings.Cycles < 1 || settings.Clients < 1 || settings.Municipalities < 1 || settings.Subscribers < 1 || settings.Duration < TimeSpan.Zero)
            {
                await Console.Error.WriteLineAsync("--cycles, --clients, --municipalities and --subscribers-per-feed must be at least 1, --duration-per-cycle at least 0.");
                return 2;
            }
            var work = Directory.CreateTempSubdirectory("exgw-soak-").FullName;
            var certificates = Path.Combine(work, "certs");
            var codes = ChaosPki.OpenMunicipalityCodes(settings.Municipalities);
            ChaosPki.Generate(certificates, codes);
            Console.WriteLine($"soak: {settings.Cycles} cycles, {settings.Clients} clients, {codes.Count} municipalities, {settings.Subscribers} subscriber(s) per feed, "
                + $"{settings.Duration.TotalSeconds:F0} s per cycle, {(settings.Graceful ? "SIGTERM" : "SIGKILL")}, seed {settings.Seed}; work directory {work}");
            var clock = Stopwatch.StartNew();
            CrashRecoveryReport report;
            await using (var gateway = await GatewayProcess.StartAsync(new GatewayProcessOptions
            {
                CertificatesDirectory = certificates,
                DatabasePath = Path.Combine(work, "gateway.db"),
                Arguments = GatewayProcessOptions.QuietLogging,
                StartTimeout = TimeSpan.FromSeconds(90),
                Graceful = settings.Graceful,
            }))
            {
                var run = new CrashRecoveryRun(gateway, new CrashRecoveryOptions
                {
                    MunicipalityCodes = codes,
                    Clients = settings.Clients,
                    Cycles = settings.Cycles,
                    CycleDuration = settings.Duration,
                    MaxKillDelay = settings.MaxKillDelay,
                    AnnouncementsPerCycle = 1,
                    ProgressTimeout = TimeSpan.FromSeconds(120),
                    Seed = settings.Seed,
                    SubscribersPerFeed = settings.Subscribers,
                }, line => Console.WriteLine($"[{clock.Elapsed:hh\\:mm\\:ss}] {line}"));
                report = await run.RunAsync(cancellationToken);
            }
            Console.WriteLine($"soak finished in {clock.Elapsed.TotalSeconds:F0} s");
            Console.Write(report.Describe());
            Console.WriteLine(report.Passed ? "PASSED" : "FAILED");
            if (!settings.Keep)
            {
                Directory.Delete(work, recursive: true);
            }
            return report.Passed ? 0 : 1;
        });
        return command;
    }
}
