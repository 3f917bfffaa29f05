using System.CommandLine;

namespace ExchangeGateway.Cli.Bench;

/// <summary><c>exgw bench</c>: starts the real gateway as a child process (mutual TLS, SQLite with
/// synchronous=FULL, a fresh temporary database and PKI), drives it from this process and prints
/// the figures beside their targets.</summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var quick = new Option<bool>("--quick") { Description = "Small counts and short steps (a smoke test of the suite, for CI)." };
        var output = new Option<string>("--out") { Description = "Where to write the results as JSON.", DefaultValueFactory = _ => "bench-results.json" };
        var keep = new Option<bool>("--keep") { Description = "Keep the temporary folder with the databases and certificates." };
        var serverArguments = new Option<string[]>("--server-arg") { Description = "An extra argument for every gateway process, e.g. --server-arg=--Gateway:MaxStreamWindow=2000 (repeatable)." };
        var serverLog = new Option<string?>("--server-log") { Description = "Append everything the gateway processes print to this file (for diagnosis)." };
        var postgres = new Option<string?>("--postgres")
        {
            Description = "Run the gateway on this PostgreSQL database (an ADO.NET connection string; the database should be empty) instead of a fresh SQLite file. Scenarios throughput, e2e and burst only.",
        };
        var scenarios = new Option<string[]>("--scenario")
        {
            Description = $"Run only these scenarios (repeatable): {string.Join(", ", BenchRunner.ScenarioNames)}. Default: all.",
        };
        var command = new Command("bench", "Benchmark the gateway: Ping baseline, announce throughput, end-to-end latency, burst, catch-up, idle streams, footprint.")
        {
            quick, output, keep, serverArguments, serverLog, postgres, scenarios,
        };
        command.SetAction(async (result, cancellationToken) =>
        {
            var profile = result.GetValue(quick) ? BenchProfile.Quick : BenchProfile.Full;
            var server = new ServerOptions(result.GetValue(serverArguments) ?? [], result.GetValue(serverLog), result.GetValue(postgres));
            var only = result.GetValue(scenarios) ?? [];
            string[] onPostgres = ["throughput", "e2e", "burst"];
            if (server.Postgres is not null && (only.Length == 0 || only.Any(s => !onPostgres.Contains(s))))
            {
                await Console.Error.WriteLineAsync($"exgw bench: with --postgres, name the scenarios to run with --scenario: {string.Join(", ", onPostgres)} (the others seed or measure a SQLite file).");
                return 2;
            }
            if (only.FirstOrDefault(s => !BenchRunner.ScenarioNames.Contains(s)) is { } unknown)
            {
                await Console.Error.WriteLineAsync($"exgw bench: unknown scenario '{unknown}'; the scenarios are {string.Join(", ", BenchRunner.ScenarioNames)}.");
                return 2;
            }
            return await new BenchRunner(profile with { Only = only }, server, result.GetValue(output)!, result.GetValue(keep), Console.Out).RunAsync(cancellationToken);
        });
        return command;
    }
}

/// <summary>What every gateway process of the run gets beyond the benchmark's own settings.</summary>
internal sealed record ServerOptions(IReadOnlyList<string> Arguments, string? LogPath, string? Postgres = null);
