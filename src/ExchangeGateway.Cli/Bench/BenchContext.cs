using ExchangeGateway.Contracts.V1;
using Grpc.Core;

namespace ExchangeGateway.Cli.Bench;

/// <summary>What every scenario shares: the profile, the PKI, the work folder, the results so far.</summary>
internal sealed class BenchContext(BenchProfile profile, BenchPki pki, string workDirectory, BenchResults results, TextWriter output)
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

    /// <summary>Ping results of the baseline step, by concurrency, for the ratios.</summary>
    public Dictionary<int, StepResult> Baseline { get; } = [];

    public void Say(string message) => output.WriteLine($"[{DateTime.Now:HH:mm:ss} load {MachineInfo.LoadAverage()}] {message}");

    /// <summary>Starts the gateway on <paramref name="database"/> and measures the time from process
    /// start until a Ping over a fresh mutual-TLS channel succeeds.</summary>
    public async Task<(GatewayProcess Gateway, BenchConnections Connections, TimeSpan StartUp)> StartGatewayAsync(string database, CancellationToken cancellationToken)
    {
        var gateway = await GatewayProcess.StartAsync(Pki.Directory, database, [], cancellationToken);
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
