using System.Collections.Concurrent;
using System.Text;
using ExchangeGateway.Client.Connection;
using ExchangeGateway.EndToEnd.Fixtures;
using ExchangeGateway.EndToEnd.Fuzz;
using ExchangeGateway.Server.Hosting;
using ExchangeGateway.Server.Rest;
using Google.Protobuf;

namespace ExchangeGateway.EndToEnd;

/// <summary>Hostile input against the real gateway's REST surface: every route, from every role, gets
/// malformed JSON, wrong types, deep nesting, huge bodies, junk in the path, other content types and
/// foreign origins. Every answer must be a success or a client error given as a problem, never a
/// 5xx, and the gateway must stay up. Only what Kestrel refuses before any of the gateway's code runs
/// (a NUL in the path: HTTP/1.1 400 without a body, HTTP/2 a reset stream; a request line over its
/// limit: 414) is a client error without a problem.</summary>
public sealed class RestFuzzTests
{
    private const int IterationsPerRoute = 60;

    private static readonly string[] Roles = ["coa", "ind", "ketenregie", "gemeente-amsterdam"];

    [Fact]
    public async Task EveryRoute_HostileRequestsFromEveryRole_ClientErrorsAsProblemsOnly()
    {
        await using var gateway = await TestGateway.StartAsync(arguments:
            ["--Gateway:Limits:RequestsPerSecond=1000000", "--Gateway:Limits:RequestBurst=1000000", "--Logging:LogLevel:Default=Warning",
            // A fuzzed fetch may ask to wait: keep the long poll short so the run stays quick.
            "--Gateway:MaxFetchWait=00:00:00.2"]);
        var clients = Roles.ToDictionary(r => r, r => new HttpClient(GatewayChannel.CreateHandler(gateway.ConnectionFor(r))) { BaseAddress = gateway.Address });
        // Requests Kestrel refuses at the protocol level go over connections of their own: an HTTP/2
        // header block over the limits ends the whole connection (COMPRESSION_ERROR), with every other
        // request on it.
        var refusedClients = Roles.ToDictionary(r => r, r => new HttpClient(GatewayChannel.CreateHandler(gateway.ConnectionFor(r))) { BaseAddress = gateway.Address });
        var world = new FuzzWorld(Guid.CreateVersion7().ToString(), Guid.CreateVersion7().ToString(), ["123456789"], Guid.CreateVersion7().ToString());
        var failures = new ConcurrentQueue<string>();
        try
        {
            await Parallel.ForEachAsync(OpenApiDocument.Routes(), new ParallelOptions { MaxDegreeOfParallelism = 3 }, async (route, token) =>
            {
                var random = new Random(route.Path.Length * 7919 + route.Verb.Length);
                for (var i = 0; i < IterationsPerRoute && gateway.IsRunning; i++)
                {
                    var role = Roles[random.Next(Roles.Length)];
                    var seed = JsonFormatter.Default.Format(SeedRequests.For(route.Method.InputType, world, random));
                    using var request = Hostile(route.Verb, route.Path, seed, random, out var kind, out var transportRefusal);
                    try
                    {
                        using var response = await (transportRefusal ? refusedClients : clients)[role].SendAsync(request, token);
                        var status = (int)response.StatusCode;
                        var type = response.Content.Headers.ContentType?.MediaType;
                        if (status >= 500 || (status >= 400 && type != Problems.ContentType && !(transportRefusal && status is 400 or 414)))
                        {
                            failures.Enqueue($"{route.Verb.ToUpperInvariant()} {route.Path} as {role}, {kind}: {status} {type} {await response.Content.ReadAsStringAsync(token)}");
                        }
                    }
                    catch (HttpRequestException exception)
                    {
                        // A refused request line may end the stream or connection, and a body over the
                        // limit is answered (413) before it is read, which can break the client's write.
                        if (transportRefusal || kind.StartsWith("huge", StringComparison.Ordinal))
                        {
                            continue;
                        }
                        failures.Enqueue($"{route.Verb.ToUpperInvariant()} {route.Path} as {role}, {kind}: no answer ({exception.Message})");
                    }
                }
            });
        }
        finally
        {
            foreach (var client in clients.Values.Concat(refusedClients.Values))
            {
                client.Dispose();
            }
        }

        Assert.True(gateway.IsRunning, "The gateway process exited during fuzzing.\n" + gateway.RecentOutput);
        Assert.True(failures.IsEmpty, $"{failures.Count} hostile requests got a server error or no problem:\n{string.Join('\n', failures.Take(20))}\n{gateway.RecentOutput}");
    }

    private static HttpRequestMessage Hostile(string verb, string template, string seed, Random random, out string kind, out bool transportRefusal)
    {
        var junk = random.Next(4);
        transportRefusal = junk >= 2;
        var path = System.Text.RegularExpressions.Regex.Replace(template, @"\{\w+\}", _ => junk switch
        {
            0 => Guid.CreateVersion7().ToString(),
            1 => "..%2F..%2Fetc%2Fpasswd",
            2 => Uri.EscapeDataString(new string('é', random.Next(1, 3000))),
            _ => "%00%ff",
        });
        var body = seed;
        var contentType = "application/json";
        (kind, body) = random.Next(9) switch
        {
            0 => ("truncated", seed[..random.Next(seed.Length)]),
            1 => ("flipped", Flip(seed, random)),
            2 => ("wrong types", seed.Replace("\"", "", StringComparison.Ordinal).Replace(":", ":[", StringComparison.Ordinal)),
            3 => ("deep nesting", new string('[', 10_000) + new string(']', 10_000)),
            4 => ("huge", "{\"requestId\":\"" + new string('x', GatewayHosting.MaxRequestBytes + random.Next(1000)) + "\"}"),
            5 => ("numbers", "{\"requestId\":1e999,\"arrival\":{\"travellers\":[{\"birthDate\":{\"year\":99999999999}}]}}"),
            6 => ("nulls and duplicates", "{\"requestId\":null,\"requestId\":\"a\",\"arrival\":null}"),
            7 => ("seed", seed),
            _ => ("unicode", seed.Replace("a", "\\ud800", StringComparison.Ordinal)),
        };
        if (random.Next(8) == 0)
        {
            contentType = random.Next(2) == 0 ? "text/plain" : "application/x-www-form-urlencoded";
            kind += ", " + contentType;
        }
        var request = new HttpRequestMessage(new HttpMethod(verb.ToUpperInvariant()), path.TrimStart('/'))
        {
            // Both protocols the port speaks: HTTP/1.1 for curl-like clients, HTTP/2 as gRPC uses.
            Version = random.Next(2) == 0 ? System.Net.HttpVersion.Version11 : System.Net.HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        if (verb is "get" or "delete")
        {
            request.RequestUri = new Uri(path.TrimStart('/') + "?pageSize=" + Uri.EscapeDataString(body[..Math.Min(body.Length, 40)]) + "&expectedFrom.year=x", UriKind.Relative);
        }
        else
        {
            request.Content = new StringContent(body, Encoding.UTF8, contentType);
        }
        if (random.Next(6) == 0)
        {
            request.Headers.TryAddWithoutValidation("Origin", "https://evil.example");
            kind += ", foreign origin";
        }
        return request;
    }

    private static string Flip(string seed, Random random)
    {
        var chars = seed.ToCharArray();
        for (var i = 0; i < 1 + random.Next(5) && chars.Length > 0; i++)
        {
            chars[random.Next(chars.Length)] = "{}[]\",:\\0"[random.Next(9)];
        }
        return new string(chars);
    }
}
