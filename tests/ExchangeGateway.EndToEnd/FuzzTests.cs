using System.Collections.Concurrent;
using System.Globalization;
using System.Reflection;
using System.Text;
using ExchangeGateway.Client.Connection;
using ExchangeGateway.Contracts.V1;
using ExchangeGateway.EndToEnd.Fixtures;
using ExchangeGateway.EndToEnd.Fuzz;
using ExchangeGateway.Server.Arrivals;
using ExchangeGateway.Server.Hosting;
using ExchangeGateway.Server.Identity;
using ExchangeGateway.Server.Rules;
using ExchangeGateway.Server.Validation;
using ExchangeGateway.Tests.Shared;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.Extensions.Options;

namespace ExchangeGateway.EndToEnd;

/// <summary>Hostile input against the real gateway process (Kestrel, mutual TLS): every RPC of every
/// exchange.v1 service, found by reflection, gets random bytes and mutated valid requests from the
/// certificate of every role. The server must stay up, answer every one with a client-error status
/// (never INTERNAL or UNKNOWN), keep serving a well-formed caller meanwhile, and store nothing
/// invalid. <c>EXGW_FUZZ_ITERATIONS</c> (cases per RPC, default 200) and <c>EXGW_FUZZ_SEED</c>
/// lengthen or vary a local run; failing inputs are written to <c>EXGW_FUZZ_FINDINGS</c> (default a
/// temporary folder) for the corpus in FuzzCorpus/, which <see cref="Corpus_EveryKeptInput_AnsweredAsAClientError"/> replays.</summary>
public sealed class FuzzTests : IAsyncLifetime
{
    private const int DefaultIterations = 200;
    private const int DefaultSeed = 20_261_128;

    private static readonly string[] Roles = ["coa", "ind", "ketenregie", "gemeente-amsterdam"];

    /// <summary>What a hostile client may be told: never INTERNAL, UNKNOWN or UNIMPLEMENTED (every RPC
    /// of the contracts has a handler).</summary>
    private static readonly HashSet<StatusCode> ClientErrors =
    [
        StatusCode.OK, StatusCode.InvalidArgument, StatusCode.NotFound, StatusCode.PermissionDenied, StatusCode.FailedPrecondition,
        StatusCode.ResourceExhausted, StatusCode.AlreadyExists, StatusCode.OutOfRange,
    ];

    private GatewayProcess? _gateway;

    private GatewayProcess Gateway => _gateway ?? throw new InvalidOperationException("Not started.");

    private static int Iterations => int.TryParse(Environment.GetEnvironmentVariable("EXGW_FUZZ_ITERATIONS"), CultureInfo.InvariantCulture, out var n) && n > 0 ? n : DefaultIterations;

    private static int Seed => int.TryParse(Environment.GetEnvironmentVariable("EXGW_FUZZ_SEED"), CultureInfo.InvariantCulture, out var n) ? n : DefaultSeed;

    // The well-formed caller is COA, as is much of the fuzzing: with the default rate limit the
    // fuzzer's own calls could use up COA's tokens and the well-formed caller would be refused for
    // that, which is the limiter working, not the gateway failing (the limiter has its own tests).
    public async Task InitializeAsync() => _gateway = await TestGateway.StartAsync(arguments:
        ["--Gateway:Limits:RequestsPerSecond=1000000", "--Gateway:Limits:RequestBurst=1000000", "--Logging:LogLevel:Default=Warning",
            // A fuzzed fetch may ask to wait: keep the long poll short so the run stays quick.
            "--Gateway:MaxFetchWait=00:00:00.2"]);

    public async Task DisposeAsync()
    {
        if (_gateway is not null)
        {
            await _gateway.DisposeAsync();
        }
    }

    [Fact]
    public async Task EveryRpc_RandomAndMutatedInputFromEveryRole_ClientErrorsOnlyAndNothingInvalidStored()
    {
        Assert.NotEmpty(ContractMethods.All);
        Assert.All(ContractMethods.All, method => Assert.True(AllowedRoles.ContainsKey(method.Path), $"{method.Path} has no [Allow] on its handler"));
        var world = await PrepareWorldAsync();
        var announced = new ConcurrentDictionary<string, byte>();
        foreach (var id in new[] { world.AnnouncedId, world.ArrivedId, world.CancelId })
        {
            announced[id] = 0;
        }
        var failures = new ConcurrentQueue<string>();
        var findings = Environment.GetEnvironmentVariable("EXGW_FUZZ_FINDINGS") ?? Directory.CreateTempSubdirectory("exgw-fuzz-findings-").FullName;
        var saveCorpus = Environment.GetEnvironmentVariable("EXGW_FUZZ_SAVE_CORPUS");

        using var stopWellFormed = new CancellationTokenSource();
        var wellFormed = WellFormedCallerAsync(announced, stopWellFormed.Token);
        using var caller = new RawCaller(Gateway, Roles);
        await Parallel.ForEachAsync(ContractMethods.All, new ParallelOptions { MaxDegreeOfParallelism = 3 }, async (method, _) =>
        {
            var random = new Random(Seed ^ StableHash(method.Path));
            var mutator = new Mutator(random);
            var allowed = AllowedRoles.TryGetValue(method.Path, out var roles) ? roles.Select(RoleId).ToArray() : [];
            for (var i = 0; i < Iterations && Gateway.IsRunning; i++)
            {
                // Mostly a role that may call the method, so that input reaches the handler.
                var role = allowed.Length > 0 && random.Next(4) != 0 ? allowed[random.Next(allowed.Length)] : Roles[random.Next(Roles.Length)];
                var input = random.Next(10) < 3 ? mutator.RandomBytes() : mutator.Mutate(SeedRequests.For(method.Input, world, random));
                var outcome = await caller.CallAsync(method, role, input.Body);
                if (!ClientErrors.Contains(outcome.Code))
                {
                    var file = Save(findings, method, $"{input.Kind}-{i}", input.Body);
                    failures.Enqueue($"{method} as {role}, {input.Kind}: {outcome.Code} \"{outcome.Detail}\" (input: {file})");
                }
                else if (outcome.Code == StatusCode.OK && method.Name == "AnnounceArrival" && outcome.Response is { } response)
                {
                    announced[ArrivalResponse.Parser.ParseFrom(response).Arrival.ArrivalId] = 0;
                }
                if (saveCorpus is not null)
                {
                    SaveNasty(saveCorpus, method, input);
                }
            }
        });
        await stopWellFormed.CancelAsync();
        var (served, wellFormedFailures) = await wellFormed;

        Assert.True(Gateway.IsRunning, "The gateway process exited during fuzzing.\n" + Gateway.RecentOutput);
        Assert.True(failures.IsEmpty, $"{failures.Count} fuzz inputs got a server-error status:\n{string.Join('\n', failures.Take(20))}\n{Gateway.RecentOutput}");
        Assert.True(wellFormedFailures.Count == 0, "The well-formed caller was not served:\n" + string.Join('\n', wellFormedFailures.Take(10)));
        Assert.True(served > 0, "The well-formed caller made no call while fuzzing ran.");
        await AssertNothingInvalidStoredAsync(announced.Keys.ToHashSet(StringComparer.Ordinal));
    }

    /// <summary>The server refuses a stream message over the size limit as soon as it reads the
    /// length prefix, while the client may still be writing it; the client's write then fails with
    /// CANCELLED (the stream was reset under it) though the server answered RESOURCE_EXHAUSTED. The
    /// fuzzer must report what the server said: before it read the answer after a failed write, about
    /// one such call in twenty was reported as CANCELLED and the fuzz test failed at random (CI, stop
    /// 17). Rarely (about one call in 2,000) grpc-dotnet's client then reports OK with no message
    /// though the server logged RESOURCE_EXHAUSTED for every call; OK is a client-error outcome here.</summary>
    [Fact]
    public async Task CallAsync_StreamMessageOverTheSizeLimit_ReportsTheServersStatusEveryTime()
    {
        var subscribe = ContractMethods.All.Single(m => m.Name == "Subscribe");
        var body = new SubscribeRequest { Open = new OpenFeed { MunicipalityCode = new string('x', GatewayHosting.MaxRequestBytes + 1000) } }.ToByteArray();
        using var caller = new RawCaller(Gateway, ["ketenregie"]);
        var seen = new Dictionary<StatusCode, int>();
        for (var i = 0; i < 200; i++)
        {
            var outcome = await caller.CallAsync(subscribe, "ketenregie", body);
            seen[outcome.Code] = seen.GetValueOrDefault(outcome.Code) + 1;
        }
        Assert.All(seen.Keys, code => Assert.Contains(code, ClientErrors));
        Assert.True(seen.GetValueOrDefault(StatusCode.ResourceExhausted) > 0, string.Join(", ", seen));
    }

    [Fact]
    public async Task Corpus_EveryKeptInput_AnsweredAsAClientError()
    {
        var corpus = Path.Combine(AppContext.BaseDirectory, "FuzzCorpus");
        var methods = ContractMethods.All.ToDictionary(m => m.Key, StringComparer.Ordinal);
        var replayed = 0;
        var failures = new List<string>();
        using var caller = new RawCaller(Gateway, Roles);
        foreach (var folder in Directory.GetDirectories(corpus).Order(StringComparer.Ordinal))
        {
            var key = Path.GetFileName(folder);
            Assert.True(methods.TryGetValue(key, out var method), $"FuzzCorpus/{key} names no RPC of the contracts.");
            foreach (var file in Directory.GetFiles(folder, "*.bin").Order(StringComparer.Ordinal))
            {
                var body = await File.ReadAllBytesAsync(file);
                foreach (var role in Roles)
                {
                    var outcome = await caller.CallAsync(method, role, body);
                    if (!ClientErrors.Contains(outcome.Code))
                    {
                        failures.Add($"{key}/{Path.GetFileName(file)} as {role}: {outcome.Code} \"{outcome.Detail}\"");
                    }
                }
                replayed++;
            }
        }
        Assert.True(failures.Count == 0, string.Join('\n', failures) + "\n" + Gateway.RecentOutput);
        Assert.True(Gateway.IsRunning, Gateway.RecentOutput);
        Assert.True(replayed > 0, "The corpus is empty.");
    }

    /// <summary>Three arrivals to Amsterdam: one announced (to amend and depart), one arrived (to
    /// report registration and BSNs on), one to cancel.</summary>
    private async Task<FuzzWorld> PrepareWorldAsync()
    {
        using var coa = Gateway.ClientFor("coa");
        var announced = await coa.AnnounceArrivalAsync(TestArrivals.Family("0363"));
        var arrived = await coa.AnnounceArrivalAsync(TestArrivals.Family("0363", travellers: 3));
        var cancel = await coa.AnnounceArrivalAsync(TestArrivals.Family("0363"));
        using (var amsterdam = Gateway.ClientFor("gemeente-amsterdam"))
        {
            await amsterdam.DecideConsentAsync(arrived.ArrivalId, ConsentStatus.Granted); // a household of three travels with consent
        }
        await coa.ReportDepartureAsync(arrived.ArrivalId);
        await coa.ReportTravellersArrivedAsync(arrived.ArrivalId);
        return new FuzzWorld(announced.ArrivalId, arrived.ArrivalId, [.. arrived.Details.Travellers.Select(t => t.VNumber)], cancel.ArrivalId);
    }

    /// <summary>COA on its own connection, Ping and AnnounceArrival in turn until told to stop; every
    /// call must succeed.</summary>
    private async Task<(int Served, List<string> Failures)> WellFormedCallerAsync(ConcurrentDictionary<string, byte> announced, CancellationToken stop)
    {
        using var channel = GatewayChannel.Create(Gateway.ConnectionFor("coa"));
        var gateway = new GatewayService.GatewayServiceClient(channel);
        var arrivals = new ArrivalService.ArrivalServiceClient(channel);
        var served = 0;
        var failures = new List<string>();
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await gateway.PingAsync(new PingRequest(), deadline: DateTime.UtcNow.AddSeconds(30), cancellationToken: CancellationToken.None);
                var request = new AnnounceArrivalRequest { RequestId = Guid.NewGuid().ToString(), Arrival = TestArrivals.Family("0344") };
                var response = await arrivals.AnnounceArrivalAsync(request, deadline: DateTime.UtcNow.AddSeconds(30), cancellationToken: CancellationToken.None);
                announced[response.Arrival.ArrivalId] = 0;
                served += 2;
            }
            catch (RpcException e)
            {
                failures.Add($"{e.StatusCode}: {e.Status.Detail}");
            }
        }
        return (served, failures);
    }

    /// <summary>Every arrival stored is one that was answered OK, and each still passes the rules an
    /// announcement is checked against, with no field the gateway does not know (such bytes would
    /// be stored and passed on to municipalities unchecked).</summary>
    private async Task AssertNothingInvalidStoredAsync(HashSet<string> answeredOk)
    {
        using var channel = GatewayChannel.Create(Gateway.ConnectionFor("coa"));
        var arrivals = new ArrivalService.ArrivalServiceClient(channel);
        var stored = new List<Arrival>();
        var page = new ListArrivalsResponse { NextPageToken = "" };
        do
        {
            page = await arrivals.ListArrivalsAsync(new ListArrivalsRequest { PageSize = 500, PageToken = page.NextPageToken });
            stored.AddRange(page.Arrivals);
        }
        while (page.NextPageToken.Length > 0);

        Assert.Equal(answeredOk.Order(StringComparer.Ordinal), stored.Select(a => a.ArrivalId).Order(StringComparer.Ordinal));
        var validator = new ArrivalDetailsValidator(new MunicipalityTableFile(new GatewayOptions().MunicipalityTablePath, Microsoft.Extensions.Logging.Abstractions.NullLogger<MunicipalityTableFile>.Instance), TimeProvider.System, Options.Create(new GatewayOptions()));
        var strict = ArrivalDetails.Parser.WithDiscardUnknownFields(true);
        foreach (var arrival in stored)
        {
            var violations = new Violations();
            validator.Validate(violations, "arrival", arrival.Details);
            Assert.False(violations.Any, $"Stored arrival {arrival.ArrivalId} breaks the rules: {string.Join("; ", violations.Items.Select(v => $"{v.Field}: {v.Description}"))}");
            Assert.True(strict.ParseFrom(arrival.Details.ToByteString()).CalculateSize() == arrival.Details.CalculateSize(),
                $"Stored arrival {arrival.ArrivalId} carries fields unknown to the gateway.");
        }
    }

    /// <summary>The roles on each handler's <see cref="AllowAttribute"/>, by gRPC path, found as the
    /// gateway's binder finds them (the generated service's descriptor, the handler by name).</summary>
    private static readonly Dictionary<string, IReadOnlyList<OrganisationRole>> AllowedRoles =
        typeof(AllowAttribute).Assembly.GetTypes()
            .Select(type => (Type: type, Bind: type.GetCustomAttribute<BindServiceMethodAttribute>(inherit: true)))
            .Where(t => t.Bind is not null)
            .SelectMany(t => t.Type.GetMethods()
                .Select(m => (Method: m, Allow: m.GetCustomAttribute<AllowAttribute>()))
                .Where(m => m.Allow is not null)
                .Select(m => (Path: $"/{((Google.Protobuf.Reflection.ServiceDescriptor)t.Bind!.BindType.GetProperty("Descriptor", BindingFlags.Public | BindingFlags.Static)!.GetValue(null)!).FullName}/{m.Method.Name}", m.Allow!.Roles)))
            .ToDictionary(m => m.Path, m => m.Roles, StringComparer.Ordinal);

    private static string RoleId(OrganisationRole role) => role switch
    {
        OrganisationRole.Coa => "coa",
        OrganisationRole.Ind => "ind",
        OrganisationRole.ChainCoordination => "ketenregie",
        _ => "gemeente-amsterdam",
    };

    private static string Save(string directory, ContractMethod method, string name, byte[] body)
    {
        var folder = Path.Combine(directory, method.Key);
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, FileName(name) + ".bin");
        File.WriteAllBytes(path, body);
        return path;
    }

    /// <summary>For seeding the corpus (EXGW_FUZZ_SAVE_CORPUS): the first input of each nasty kind per
    /// RPC, up to 64 KiB (the repository keeps them).</summary>
    private static void SaveNasty(string directory, ContractMethod method, FuzzCase input)
    {
        if (input.Body.Length > 64 * 1024)
        {
            return;
        }
        string[] nasty = ["nested-groups", "invalid-utf8", "nested-unknown-fields", "+=10000", "string[300000]", "string[50000]", "negative-length", "random-bytes"];
        foreach (var kind in nasty.Where(k => input.Kind.Contains(k, StringComparison.Ordinal)))
        {
            var path = Path.Combine(directory, method.Key, FileName(kind) + ".bin");
            if (!File.Exists(path))
            {
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                File.WriteAllBytes(path, input.Body);
            }
        }
    }

    private static string FileName(string kind)
    {
        var name = new StringBuilder();
        foreach (var c in kind)
        {
            name.Append(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? c : '-');
        }
        return name.Length > 80 ? name.ToString(0, 80) : name.ToString();
    }

    /// <summary>FNV-1a: a hash that is the same in every process (string.GetHashCode is not).</summary>
    private static int StableHash(string text)
    {
        var hash = 2166136261u;
        foreach (var c in text)
        {
            hash = (hash ^ c) * 16777619u;
        }
        return (int)hash;
    }
}
