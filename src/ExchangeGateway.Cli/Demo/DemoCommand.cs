using System.CommandLine;

namespace ExchangeGateway.Cli.Demo;

/// <summary><c>exgw demo</c>: the whole chain in one command.</summary>
internal static class DemoCommand
{
    public static Command Create()
    {
        var certificates = new Option<string>("--certs") { Description = "Development certificate directory (generated if absent).", DefaultValueFactory = _ => "certs/dev" };
        var timeout = new Option<int>("--timeout") { Description = "Seconds the demo may take before it fails.", DefaultValueFactory = _ => 60 };
        var keepRunning = new Option<bool>("--keep-running") { Description = "After the run, keep the gateway and its dashboard up until Ctrl+C, so a person can look at the dashboard." };
        var command = new Command("demo", "Start the gateway on a new SQLite file and run COA, IND and three municipalities as real gRPC clients over mutual TLS. Exits 0 only if every traveller got a BSN and every notice was acknowledged. Prints the dashboard's address.")
        {
            certificates, timeout, keepRunning,
        };
        command.SetAction(async (result, cancellationToken) =>
        {
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(TimeSpan.FromSeconds(result.GetValue(timeout)));
            var runner = new DemoRunner(Path.GetFullPath(result.GetValue(certificates)!), Console.Out);
            try
            {
                // The time limit is the run's; staying up afterwards ends only with Ctrl+C.
                return await runner.RunAsync(deadline.Token, result.GetValue(keepRunning) ? cancellationToken : null) ? 0 : 1;
            }
            catch (OperationCanceledException) when (deadline.IsCancellationRequested)
            {
                Console.Error.WriteLine("The demo did not finish in time.");
                return 1;
            }
        });
        return command;
    }
}
