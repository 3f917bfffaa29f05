using System.CommandLine;
using System.Security.Cryptography;
using ExchangeGateway.Client;
using ExchangeGateway.Client.Arrivals;
using ExchangeGateway.Client.Connection;
using ExchangeGateway.Contracts.V1;
using Google.Protobuf;

namespace ExchangeGateway.Cli.Announce;

/// <summary><c>exgw announce</c>: announces the arrivals in a file through the durable outbox, as a
/// COA system would. Killed halfway and started again, it sends what is still pending, with the same
/// request_ids, so every arrival is announced exactly once.</summary>
internal static class AnnounceCommand
{
    public static Command Create()
    {
        var file = new Option<string>("--file") { Description = "JSON lines, one AnnounceArrivalRequest (protobuf JSON) per line; a missing requestId is derived from the content.", Required = true };
        var outbox = new Option<string>("--outbox") { Description = "The local SQLite outbox file.", DefaultValueFactory = _ => "coa-outbox.db" };
        var address = new Option<string>("--address") { Description = "The gateway.", DefaultValueFactory = _ => "https://127.0.0.1:5443" };
        var certificate = new Option<string>("--cert") { Description = "Client certificate (PEM).", DefaultValueFactory = _ => "certs/dev/coa.crt" };
        var key = new Option<string>("--key") { Description = "Client key (PEM).", DefaultValueFactory = _ => "certs/dev/coa.key" };
        var anchors = new Option<string>("--ca") { Description = "CA certificates the server must chain to (PEM).", DefaultValueFactory = _ => "certs/dev/ca.crt" };
        var command = new Command("announce", "Announce arrivals from a file through a durable local outbox (retries until the gateway confirms each).")
        {
            file, outbox, address, certificate, key, anchors,
        };
        command.SetAction(async (result, cancellationToken) =>
        {
            using var client = new GatewayClient(GatewayConnectionOptions.FromPem(new Uri(result.GetValue(address)!),
                result.GetValue(certificate)!, result.GetValue(key)!, result.GetValue(anchors)!));
            await using var announcer = await DurableAnnouncer.OpenAsync(client, result.GetValue(outbox)!, cancellationToken);
            var count = 0;
            foreach (var line in await File.ReadAllLinesAsync(result.GetValue(file)!, cancellationToken))
            {
                if (string.IsNullOrWhiteSpace(line))
                {
                    continue;
                }
                var request = AnnounceArrivalRequest.Parser.ParseJson(line);
                await announcer.EnqueueAsync(request.Arrival, request.RequestId.Length > 0 ? request.RequestId : DerivedRequestId(request.Arrival), cancellationToken);
                count++;
            }
            Console.WriteLine($"{count} announcement(s) in the outbox; sending.");
            while (await announcer.CountAsync("pending", cancellationToken) > 0)
            {
                var confirmed = await announcer.DrainAsync(cancellationToken);
                Console.WriteLine($"confirmed {confirmed}; pending {await announcer.CountAsync("pending", cancellationToken)}");
                if (confirmed == 0)
                {
                    await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
                }
            }
            var refused = await announcer.CountAsync("refused", cancellationToken);
            Console.WriteLine($"done: {await announcer.CountAsync("confirmed", cancellationToken)} confirmed, {refused} refused.");
            return refused == 0 ? 0 : 1;
        });
        return command;
    }

    /// <summary>The same arrival in the file always gets the same request_id, so re-reading the file
    /// after a crash never announces it twice.</summary>
    private static string DerivedRequestId(ArrivalDetails arrival) =>
        "sha256-" + Convert.ToHexStringLower(SHA256.HashData(arrival.ToByteArray()))[..40];
}
