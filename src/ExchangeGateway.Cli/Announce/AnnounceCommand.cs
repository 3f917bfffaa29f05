using System.CommandLine;
using System.Security.Cryptography;
using ExchangeGateway.Client;
using ExchangeGateway.Client.Arrivals;
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
        var file = new Option<string>("--file") { Description = "JSON lines, one AnnounceArrivalRequest (protobuf JSON) per line; a missing requestId is derived from the content." };
        var outbox = new Option<string>("--outbox") { Description = "The local SQLite outbox file.", DefaultValueFactory = _ => "coa-outbox.db" };
        var status = new Option<bool>("--status") { Description = "Show what the outbox holds (pending, confirmed, parked with the gateway's reasons) and send nothing." };
        var retryParked = new Option<bool>("--retry-parked") { Description = "Put every parked announcement back in the queue (same request_ids) and send." };
        var maxFailures = new Option<int>("--max-failures") { Description = "Park an announcement the gateway answers INTERNAL or UNKNOWN this many times.", DefaultValueFactory = _ => new DurableAnnouncerOptions().MaxFailures };
        var address = new Option<string>("--address") { Description = "The gateway.", DefaultValueFactory = _ => "https://127.0.0.1:5443" };
        var certificate = new Option<string>("--cert") { Description = "Client certificate (PEM).", DefaultValueFactory = _ => "certs/dev/coa.crt" };
        var key = new Option<string>("--key") { Description = "Client key (PEM).", DefaultValueFactory = _ => "certs/dev/coa.key" };
        var anchors = new Option<string>("--ca") { Description = "CA certificates the server must chain to (PEM).", DefaultValueFactory = _ => "certs/dev/ca.crt" };
        var command = new Command("announce", "Announce arrivals from a file through a durable local outbox (retries until the gateway confirms or parks each).")
        {
            file, outbox, status, retryParked, maxFailures, address, certificate, key, anchors,
        };
        command.SetAction(async (result, cancellationToken) =>
        {
            var path = result.GetValue(file);
            var outboxPath = result.GetValue(outbox)!;
            var showStatus = result.GetValue(status);
            var retry = result.GetValue(retryParked);
            if (path is null && !showStatus && !retry)
            {
                throw new UsageException("give --file to announce, --status to show the outbox, or --retry-parked to send its parked announcements again.");
            }
            if (result.GetValue(maxFailures) < 1)
            {
                throw new UsageException("--max-failures must be at least 1.");
            }
            if (path is null && !File.Exists(outboxPath))
            {
                throw new UsageException($"no outbox at {Path.GetFullPath(outboxPath)} (--outbox); nothing was announced through it yet.");
            }
            // Everything the file asks for is checked before the outbox is created or touched.
            var requests = path is null ? [] : ReadFile(path);
            using var client = new GatewayClient(ClientCertificates.Load(result.GetValue(address)!,
                result.GetValue(certificate)!, result.GetValue(key)!, result.GetValue(anchors)!));
            await using var announcer = await DurableAnnouncer.OpenAsync(client, outboxPath,
                new DurableAnnouncerOptions { MaxFailures = result.GetValue(maxFailures) }, cancellationToken);
            if (showStatus)
            {
                return await ShowStatusAsync(announcer, cancellationToken);
            }
            foreach (var request in requests)
            {
                await announcer.EnqueueAsync(request.Arrival, request.RequestId.Length > 0 ? request.RequestId : DerivedRequestId(request.Arrival), cancellationToken);
            }
            if (retry)
            {
                Console.WriteLine($"{await announcer.RetryParkedAsync(cancellationToken: cancellationToken)} parked announcement(s) back in the queue.");
            }
            Console.WriteLine($"{requests.Count} announcement(s) added to the outbox; sending.");
            while (await announcer.CountAsync("pending", cancellationToken) > 0)
            {
                var confirmed = await announcer.DrainAsync(cancellationToken);
                Console.WriteLine($"confirmed {confirmed}; pending {await announcer.CountAsync("pending", cancellationToken)}");
                if (confirmed == 0)
                {
                    await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
                }
            }
            var parked = await announcer.ParkedAsync(cancellationToken);
            foreach (var entry in parked)
            {
                Console.WriteLine($"parked {entry.RequestId}: {entry.Reason}");
            }
            Console.WriteLine($"done: {await announcer.CountAsync("confirmed", cancellationToken)} confirmed, {parked.Count} parked"
                + (parked.Count > 0 ? " (mend the cause, then exgw announce --retry-parked)." : "."));
            return parked.Count == 0 ? 0 : 1;
        });
        return command;
    }

    /// <summary>What the outbox holds. Exit code 1 when anything is parked (it needs a person).</summary>
    private static async Task<int> ShowStatusAsync(DurableAnnouncer announcer, CancellationToken cancellationToken)
    {
        var parked = await announcer.ParkedAsync(cancellationToken);
        Console.WriteLine($"pending {await announcer.CountAsync("pending", cancellationToken)}, confirmed {await announcer.CountAsync("confirmed", cancellationToken)}, parked {parked.Count}");
        foreach (var entry in parked)
        {
            Console.WriteLine($"parked {entry.RequestId} at {entry.ParkedAt?.ToString("u", System.Globalization.CultureInfo.InvariantCulture) ?? "(before 1.0.0-rc.2)"} after {entry.Attempts} attempt(s): {entry.Reason}");
        }
        return parked.Count == 0 ? 0 : 1;
    }

    /// <summary>The requests of the file, each line parsed; a missing file or a line that is not an
    /// AnnounceArrivalRequest is the user's to fix, named with its line number.</summary>
    private static List<AnnounceArrivalRequest> ReadFile(string path)
    {
        if (!File.Exists(path))
        {
            throw new UsageException($"no file at {Path.GetFullPath(path)} (--file); nothing was queued.");
        }
        var requests = new List<AnnounceArrivalRequest>();
        var number = 0;
        foreach (var line in File.ReadLines(path))
        {
            number++;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }
            try
            {
                requests.Add(AnnounceArrivalRequest.Parser.ParseJson(line));
            }
            catch (Exception exception) when (exception is InvalidProtocolBufferException or InvalidJsonException)
            {
                throw new UsageException($"{path} line {number} is not an AnnounceArrivalRequest in protobuf JSON ({exception.Message.TrimEnd('.')}); nothing was queued.");
            }
        }
        return requests;
    }

    /// <summary>The same arrival in the file always gets the same request_id, so re-reading the file
    /// after a crash never announces it twice.</summary>
    private static string DerivedRequestId(ArrivalDetails arrival) =>
        "sha256-" + Convert.ToHexStringLower(SHA256.HashData(arrival.ToByteArray()))[..40];
}
