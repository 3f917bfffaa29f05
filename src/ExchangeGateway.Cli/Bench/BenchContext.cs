using ExchangeGateway.Cli.Serve;
using ExchangeGateway.Contracts.V1;
using Grpc.Core;

namespace ExchangeGateway.Cli.Bench;

/// <summary>What every scenario shares: the profile, the PKI, the work folder, the results so far.</summary>
internal sealed class BenchContext(BenchProfile profile, ServerOptions server, BenchPki pki, string workDirectory, BenchResults results, TextWriter output)
{
    public BenchProfile Profile { get; } = profile;

    public BenchPki Pki { get; } = pki;

    public string WorkDirectory { get; } = workDirectory;

    public BenchResults Results { get; } = results;

    /// <summary>The municipalities announced to and subscribed: all of them, or a few in quick mode.</summary>
    public IReadOnlyList<BenchMunicipality> Municipalities { get; } = [.. pki.Municipalities.Take(profile.Municipalities ?? int.MaxValue)];

    public ArrivalFactory Arrivals { get; } = new([.. pki.Municipalities.Take(profile.Municipalities ?? int.MaxValue)]);

    /// <summary>The main benchmark database: fresh at the start, then used by every scenario in turn.</summary>
    public string Database => Path.Combine(WorkDirectory, "bench.db");

    /// <summary>Creates the schema of <see cref="Database"/> as the gateway does, for a scenario that
    /// writes into it before any gateway ran on it (when the earlier scenarios were skipped).</summary>
    public Task EnsureDatabaseAsync(CancellationToken cancellationToken) =>
        new ExchangeGateway.Server.Storage.GatewayDbContextFactory(new ExchangeGateway.Server.Storage.StorageOptions { ConnectionString = $"Data Source={Database}" })
            .MigrateAsync(cancellationToken);

    /// <summary>Ping results of the baseline step, by concurrency, for the ratios.</summary>
    public Dictionary<int, StepResult> Baseline { get; } = [];

    /// <summary>The baseline at a concurrency, or one of NaNs when the throughput scenario did not run.</summary>
    public StepResult BaselineAt(int concurrency) => Baseline.GetValueOrDefault(concurrency)
        ?? new StepResult(concurrency, double.NaN, double.NaN, double.NaN, double.NaN, 0, 0, []);

    public void Say(string message) => output.WriteLine($"[{DateTime.Now:HH:mm:ss} load {MachineInfo.LoadAverage()}] {message}");

    /// <summary>Puts a freshly started gateway under announce, deliver and acknowledge load for
    /// <see cref="BenchProfile.WarmUp"/> on a few feeds other than <paramref name="spare"/>, so what is
    /// measured next runs optimised code.</summary>
    public async Task WarmUpAsync(BenchConnections connections, string spare, CancellationToken cancellationToken)
    {
        var feeds = Pki.Municipalities.Where(m => m.Code != spare).Take(8).ToList();
        var listeners = new FeedListeners(connections);
        try
        {
            await Task.WhenAll(feeds.Select(m => listeners.OpenAsync(m))).WaitAsync(Profile.PhaseLimit, cancellationToken);
            var announcer = new Announcer(new ArrivalService.ArrivalServiceClient(connections.For(BenchPki.Coa).Channel), Arrivals, feeds);
            var tracker = new NoticeTracker();
            listeners.Tracker = tracker;
            await announcer.BurstAsync(Profile.Mode == "quick" ? 50 : 100_000, 8, Profile.WarmUp / 2, "BENCH-WARM", tracker, cancellationToken);
            await tracker.AllConfirmed.WaitAsync(Profile.PhaseLimit, cancellationToken).ContinueWith(_ => { }, TaskScheduler.Default);
            Say($"restarted gateway warmed up: {tracker.Confirmed:N0} announcements delivered and acknowledged");
        }
        finally
        {
            await listeners.DisposeAsync();
        }
    }

    /// <summary>Starts the gateway on <paramref name="database"/> and measures the time from process
    /// start until a Ping over a fresh mutual-TLS channel succeeds.</summary>
    public async Task<(GatewayProcess Gateway, BenchConnections Connections, TimeSpan StartUp)> StartGatewayAsync(string database, CancellationToken cancellationToken)
    {
        var gateway = await GatewayProcess.StartAsync(new GatewayProcessOptions
        {
            CertificatesDirectory = Pki.Directory,
            DatabasePath = database,
            Postgres = server.Postgres,
            Arguments = [.. GatewayProcessOptions.QuietLogging,
                // Scenario 6 holds about 30 idle streams per municipal organisation, a capacity test beyond
                // what one BRP system needs (the default allows 16); --server-arg may still override it.
                "--Gateway:Limits:MaxFeedStreamsPerFeed=64",
                // The bench's one COA organisation offers more than the default 1,000 requests/s: the rate
                // limiter stays on (every call takes a token), raised above the offered load.
                "--Gateway:Limits:RequestsPerSecond=100000", "--Gateway:Limits:RequestBurst=200000",
                .. server.Arguments],
            LogPath = server.LogPath,
            // A graceful stop, so the start-up figures measured on the database afterwards are not a crash recovery's.
            Graceful = true,
            StopTimeout = TimeSpan.FromSeconds(15),
        });
        var connections = new BenchConnections(Pki, gateway.Address);
        var ping = new GatewayService.GatewayServiceClient(connections.For(BenchPki.Coa).Channel);
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                await ping.PingAsync(new PingRequest(), deadline: DateTime.UtcNow.AddSeconds(10), cancellationToken: cancellationToken);
                break;
            }
            catch (RpcException) when (attempt < 100)
            {
                await Task.Delay(10, cancellationToken);
            }
        }
        var startUp = System.Diagnostics.Stopwatch.GetElapsedTime(gateway.StartedAt);
        return (gateway, connections, startUp);
    }
}
