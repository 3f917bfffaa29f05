using System.CommandLine;
using ExchangeGateway.Client;
using ExchangeGateway.Client.Resilience;
using Grpc.Core;

namespace ExchangeGateway.Cli.Webhooks;

/// <summary><c>exgw webhooks</c>: the webhook subscriptions as they stand (WebhookService), and
/// <c>exgw webhooks retry FEED</c> to send parked notices again once a receiver is fixed; with chain
/// coordination's certificate.</summary>
internal static class WebhooksCommand
{
    public static Command Create()
    {
        var address = new Option<string>("--address") { Description = "The gateway.", DefaultValueFactory = _ => "https://127.0.0.1:5443" };
        var certificate = new Option<string>("--cert") { Description = "Client certificate (PEM) of chain coordination.", DefaultValueFactory = _ => "certs/dev/ketenregie.crt" };
        var key = new Option<string>("--key") { Description = "Client key (PEM).", DefaultValueFactory = _ => "certs/dev/ketenregie.key" };
        var anchors = new Option<string>("--ca") { Description = "CA certificates the server must chain to (PEM).", DefaultValueFactory = _ => "certs/dev/ca.crt" };
        var command = new Command("webhooks", "List the webhook subscriptions: where each feed is posted, what is unacknowledged and parked, and the last attempt.")
        {
            address, certificate, key, anchors,
        };
        command.SetAction((result, cancellationToken) => RunAsync(result, address, certificate, key, anchors, async client =>
        {
            WebhookTable.Write(await client.ListWebhookSubscriptionsAsync(cancellationToken), Console.Out);
        }));
        var feed = new Argument<string>("feed") { Description = "The subscription's feed, as the list names it (e.g. municipality:0014)." };
        var retry = new Command("retry", "Send the notices a subscription's receiver refused (parked) again, after its receiver was fixed.")
        {
            feed, address, certificate, key, anchors,
        };
        retry.SetAction((result, cancellationToken) => RunAsync(result, address, certificate, key, anchors, async client =>
        {
            var released = await client.RetryParkedNoticesAsync(result.GetValue(feed)!, cancellationToken: cancellationToken);
            Console.WriteLine(released.Sequences.Count == 0
                ? $"No notice of {result.GetValue(feed)} was parked."
                : $"Released {released.Sequences.Count} parked notice(s) of {result.GetValue(feed)} to be sent again: #{string.Join(", #", released.Sequences)}.");
        }));
        command.Subcommands.Add(retry);
        return command;
    }

    private static async Task<int> RunAsync(ParseResult result, Option<string> address, Option<string> certificate, Option<string> key, Option<string> anchors,
        Func<GatewayClient, Task> work)
    {
        var connection = ClientCertificates.Load(result.GetValue(address)!, result.GetValue(certificate)!, result.GetValue(key)!, result.GetValue(anchors)!);
        using var client = new GatewayClient(connection, new GatewayResilienceOptions { MaxRetryAttempts = 2, OverallTimeout = TimeSpan.FromSeconds(30) });
        try
        {
            await work(client);
            return 0;
        }
        catch (RpcException exception) when (exception.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded)
        {
            await Console.Error.WriteLineAsync($"exgw webhooks: cannot reach the gateway at {connection.Address} ({exception.StatusCode}: {exception.Status.Detail.TrimEnd('.')}). Is it running, and is --address right?");
            return 1;
        }
        catch (RpcException exception)
        {
            await Console.Error.WriteLineAsync($"exgw webhooks: the gateway at {connection.Address} refused: {exception.StatusCode}: {exception.Status.Detail}");
            return 1;
        }
    }
}
