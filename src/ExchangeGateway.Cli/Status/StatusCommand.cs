using System.CommandLine;
using ExchangeGateway.Client;
using ExchangeGateway.Client.Resilience;
using Grpc.Core;

namespace ExchangeGateway.Cli.Status;

/// <summary><c>exgw status</c>: the national picture (ChainService.GetOverview) as a table, read with
/// chain coordination's certificate (COA's works too), as a ketenregie dashboard would.</summary>
internal static class StatusCommand
{
    public static Command Create()
    {
        var address = new Option<string>("--address") { Description = "The gateway.", DefaultValueFactory = _ => "https://127.0.0.1:5443" };
        var certificate = new Option<string>("--cert") { Description = "Client certificate (PEM) of chain coordination or COA.", DefaultValueFactory = _ => "certs/dev/ketenregie.crt" };
        var key = new Option<string>("--key") { Description = "Client key (PEM).", DefaultValueFactory = _ => "certs/dev/ketenregie.key" };
        var anchors = new Option<string>("--ca") { Description = "CA certificates the server must chain to (PEM).", DefaultValueFactory = _ => "certs/dev/ca.crt" };
        var municipality = new Option<string?>("--municipality") { Description = "Only this municipality code (the national totals stay national)." };
        var command = new Command("status", "Print the chain overview: per municipality arrivals by state, open escalations, people reported as arrived unannounced and unacknowledged notices, national totals last.")
        {
            address, certificate, key, anchors, municipality,
        };
        command.SetAction(async (result, cancellationToken) =>
        {
            var connection = ClientCertificates.Load(result.GetValue(address)!, result.GetValue(certificate)!, result.GetValue(key)!, result.GetValue(anchors)!);
            // A status read should answer quickly or say why; the SDK's default (retry for two minutes)
            // is for writes that must get through.
            using var client = new GatewayClient(connection, new GatewayResilienceOptions { MaxRetryAttempts = 2, OverallTimeout = TimeSpan.FromSeconds(30) });
            try
            {
                var overview = await client.GetOverviewAsync(result.GetValue(municipality), cancellationToken);
                StatusTable.Write(overview, Console.Out);
                return 0;
            }
            catch (RpcException exception) when (exception.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded)
            {
                await Console.Error.WriteLineAsync($"exgw status: cannot reach the gateway at {connection.Address} ({exception.StatusCode}: {exception.Status.Detail.TrimEnd('.')}). Is it running, and is --address right?");
                return 1;
            }
            catch (RpcException exception)
            {
                await Console.Error.WriteLineAsync($"exgw status: the gateway at {connection.Address} refused: {exception.StatusCode}: {exception.Status.Detail}");
                return 1;
            }
        });
        return command;
    }
}
