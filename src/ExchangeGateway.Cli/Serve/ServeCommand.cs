using ExchangeGateway.Server.Hosting;
using System.CommandLine;
using Microsoft.Extensions.Hosting;

namespace ExchangeGateway.Cli.Serve;

/// <summary><c>exgw serve</c>: runs the gateway until stopped.</summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        var dev = new Option<bool>("--dev") { Description = "Use (and if absent generate) development certificates and a local SQLite file." };
        var certificates = new Option<string?>("--certs") { Description = $"Development certificate directory (default {GatewayLauncher.DefaultDevCertificates})." };
        var database = new Option<string?>("--db") { Description = $"SQLite database file (default in --dev: {GatewayLauncher.DefaultDevDatabase})." };
        var urls = new Option<string>("--urls") { Description = "Addresses to listen on, separated by ';'.", DefaultValueFactory = _ => GatewayLauncher.DefaultUrls };
        var command = new Command("serve", "Run the exchange gateway (gRPC over mutual TLS). Other settings: --Gateway:Key=value, environment Gateway__Key, or appsettings.json.")
        {
            dev, certificates, database, urls,
        };
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction(async (result, cancellationToken) =>
        {
            var settings = new ServeSettings(result.GetValue(dev), result.GetValue(certificates), result.GetValue(database),
                result.GetValue(urls)!, [.. result.UnmatchedTokens]);
            var (app, refusal) = GatewayLauncher.Build(settings, Console.Out);
            if (app is null)
            {
                await Console.Error.WriteLineAsync(refusal);
                return 2;
            }
            await using (app)
            {
                await app.StartAsync(cancellationToken);
                var messages = GatewayLauncher.Messages(app.Configuration);
                if (app.ManagementAddresses() is { Count: > 0 } management)
                {
                    messages.WriteLine($"Management listener on {string.Join(", ", management)} (/livez, /readyz, /metrics; no client certificate).");
                }
                if (GatewayLauncher.DashboardUrls(app) is { Count: > 0 } dashboard)
                {
                    messages.WriteLine($"Dashboard on {string.Join(", ", dashboard)} (a browser with an organisation's client certificate).");
                }
                messages.WriteLine($"Exchange gateway listening on {string.Join(", ", GatewayLauncher.Addresses(app))} (mutual TLS). Ctrl+C stops it.");
                await app.WaitForShutdownAsync(cancellationToken);
            }
            return 0;
        });
        return command;
    }
}
