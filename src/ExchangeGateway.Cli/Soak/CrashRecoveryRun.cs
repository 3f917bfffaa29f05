using System.Diagnostics;
using System.Globalization;
using ExchangeGateway.Client;
using ExchangeGateway.Client.Resilience;
using ExchangeGateway.Contracts.V1;
using ExchangeGateway.Server.Identity;
using ExchangeGateway.Server.Rules;
using Grpc.Core;
using Polly.CircuitBreaker;
using Polly.Timeout;

namespace ExchangeGateway.Cli.Soak;

/// <summary>How a durability run drives the gateway.</summary>
internal sealed class CrashRecoveryOptions
{
    /// <summary>The municipality codes announced to; <see cref="ChaosPki.MunicipalOrganisation"/> must serve them all.</summary>
    public required IReadOnlyList<string> MunicipalityCodes { get; init; }

    /// <summary>Concurrent COA clients, each with its own channel, announcing one after the other.</summary>
    public int Clients { get; init; } = 16;

    /// <summary>SIGKILL-and-restart cycles.</summary>
    public int Cycles { get; init; } = 3;

    /// <summary>OK answers that must come in after each (re)start before the kill timer starts.</summary>
    public int AnnouncementsPerCycle { get; init; } = 10;

    /// <summary>Traffic time after each (re)start before the kill timer starts.</summary>
    public TimeSpan CycleDuration { get; init; } = TimeSpan.Zero;

    /// <summary>The kill comes at a random moment this long (at least) after the timer starts.</summary>
    public TimeSpan MinKillDelay { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>The kill comes at a random moment this long (at most) after the timer starts.</summary>
    public TimeSpan MaxKillDelay { get; init; } = TimeSpan.FromMilliseconds(600);

    /// <summary>A bound on each client's loop.</summary>
    public int MaxAnnouncementsPerClient { get; init; } = 100_000;

    /// <summary>How long the run waits for traffic to resume, and for delivery at the end.</summary>
    public TimeSpan ProgressTimeout { get; init; } = TimeSpan.FromSeconds(60);

    public int Seed { get; init; } = Environment.TickCount;

    /// <summary>Subscribers on every feed (a municipality running several instances of its connector);
    /// the checks hold for what they received together.</summary>
    public int SubscribersPerFeed { get; init; } = 1;

    /// <summary>Retries that ride over a restart: many quick attempts, and a circuit breaker that does
    /// not open (an open circuit fails calls at once, which is not what this run measures).</summary>
    public GatewayResilienceOptions Resilience { get; init; } = new()
    {
        MaxRetryAttempts = 60,
        BaseDelay = TimeSpan.FromMilliseconds(100),
        MaxDelay = TimeSpan.FromSeconds(1),
        AttemptTimeout = TimeSpan.FromSeconds(15),
        OverallTimeout = TimeSpan.FromSeconds(90),
        CircuitMinimumThroughput = int.MaxValue,
    };
}

/// <summary>A durability run: many COA clients announce concurrently while the gateway is killed with
/// SIGKILL at random moments and restarted; subscribers on every recipient feed acknowledge what they
/// get. Afterwards announcements that failed are sent once more with their request_id (as a real
/// client would), and the run checks the product's promises: every OK announcement is stored once
/// and delivered under one notice id on each recipient feed, nothing is stored for what never got
/// OK, and every feed's sequences run 1..head without gaps, all acknowledged.</summary>
internal sealed class CrashRecoveryRun(IChaosGateway gateway, CrashRecoveryOptions options, Action<string> log)
{
    private const string Announced = "nl.asielketen.aankomst-aangekondigd";
    private const string TravellersAnnounced = "nl.asielketen.vreemdelingen-aangekondigd";
    private const string AnnouncementReceived = "nl.asielketen.aankondiging-ontvangen";

    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(50);

    private readonly AnnouncementLedger _ledger = new();
    private readonly Random _random = new(options.Seed);
    private readonly string _runId = options.Seed.ToString("x8", CultureInfo.InvariantCulture)[^6..];
    private readonly Date _expected = ToDate(AmsterdamCalendar.Today(TimeProvider.System).AddDays(14));
    private long _vNumbers = 6_000_000_000 + ((long)(uint)options.Seed % 100_000 * 10_000);

    public AnnouncementLedger Ledger => _ledger;

    public async Task<CrashRecoveryReport> RunAsync(CancellationToken cancellationToken)
    {
        var report = new CrashRecoveryReport();
        var address = gateway.Address;
        var collectors = new List<FeedCollector>();
        for (var i = 0; i < Math.Max(1, options.SubscribersPerFeed); i++)
        {
            collectors.Add(new FeedCollector(NewClient(address, "coa"), FeedNames.Coa, null));
            collectors.Add(new FeedCollector(NewClient(address, "ind"), FeedNames.Ind, null));
            collectors.AddRange(options.MunicipalityCodes.Select(code =>
                new FeedCollector(NewClient(address, ChaosPki.MunicipalOrganisation), FeedNames.Municipality(code), code)));
        }
        try
        {
            using var stopAnnouncing = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var clients = Enumerable.Range(1, options.Clients)
                .Select(client => Task.Run(() => AnnounceLoopAsync(address, client, stopAnnouncing.Token, cancellationToken), CancellationToken.None))
                .ToList();
            try
            {
                for (var cycle = 1; cycle <= options.Cycles; cycle++)
                {
                    await WaitForTrafficAsync($"before kill {cycle}", cancellationToken);
                    var delay = options.MinKillDelay + ((options.MaxKillDelay - options.MinKillDelay) * _random.NextDouble());
                    await Task.Delay(delay, cancellationToken);
                    var started = Stopwatch.StartNew();
                    gateway.Kill();
                    await gateway.RestartAsync();
                    report.Cycles = cycle;
                    log($"cycle {cycle}: {gateway.StopSignal} {delay.TotalMilliseconds:F0} ms into the kill window, stopped and restarted in {started.Elapsed.TotalSeconds:F1} s; OK so far {_ledger.OkCount}, errors {_ledger.ErrorCount}");
                    if (gateway.Address != address)
                    {
                        throw new InvalidOperationException($"The gateway came back on {gateway.Address} instead of {address}; its port was taken.");
                    }
                }
                await WaitForTrafficAsync("after the last restart", cancellationToken);
            }
            finally
            {
                // Clients finish the call they are in (its retries included) and start no new one.
                await stopAnnouncing.CancelAsync();
                await Task.WhenAll(clients);
            }
            log($"clients stopped: {_ledger.OkCount} OK, {_ledger.ErrorCount} failed; sending the failed ones again");
            await ResendFailedAsync(address, cancellationToken);
            await WaitForDeliveryAsync(collectors, cancellationToken);
            await VerifyAsync(address, collectors, report, cancellationToken);
        }
        finally
        {
            foreach (var collector in collectors)
            {
                await collector.DisposeAsync();
            }
        }
        return report;
    }

    private GatewayClient NewClient(Uri address, string organisationId) =>
        new(ChaosPki.Connection(gateway.CertificatesDirectory, address, organisationId), options.Resilience);

    private async Task AnnounceLoopAsync(Uri address, int client, CancellationToken stopAnnouncing, CancellationToken cancellationToken)
    {
        using var coa = NewClient(address, "coa");
        var random = new Random(HashCode.Combine(options.Seed, client));
        for (var number = 1; number <= options.MaxAnnouncementsPerClient && !stopAnnouncing.IsCancellationRequested; number++)
        {
            var code = options.MunicipalityCodes[random.Next(options.MunicipalityCodes.Count)];
            var announcement = _ledger.Begin(client, GatewayClient.NewRequestId(), NewDetails(code, client, number));
            try
            {
                var arrival = await coa.AnnounceArrivalAsync(announcement.Details, announcement.RequestId, cancellationToken);
                _ledger.Confirm(announcement, arrival.ArrivalId, onResend: false);
            }
            catch (Exception exception) when (IsCallFailure(exception) && !cancellationToken.IsCancellationRequested)
            {
                _ledger.Fail(announcement, Describe(exception));
            }
        }
    }

    /// <summary>What a real client does with a call that failed for good: send it again, with the same
    /// request_id, once the gateway is back. An OK now counts as OK (the first call may have been
    /// stored before its answer was lost).</summary>
    private async Task ResendFailedAsync(Uri address, CancellationToken cancellationToken)
    {
        using var coa = NewClient(address, "coa");
        foreach (var announcement in _ledger.All.Where(a => a.Outcome != AnnouncementOutcome.Ok))
        {
            try
            {
                var arrival = await coa.AnnounceArrivalAsync(announcement.Details, announcement.RequestId, cancellationToken);
                _ledger.Confirm(announcement, arrival.ArrivalId, onResend: true);
            }
            catch (Exception exception) when (IsCallFailure(exception))
            {
                _ledger.Fail(announcement, "on re-send: " + Describe(exception));
            }
        }
    }

    private async Task WaitForTrafficAsync(string when, CancellationToken cancellationToken)
    {
        var okBefore = _ledger.OkCount;
        var since = Stopwatch.StartNew();
        var resumed = await WaitUntilAsync(
            () => _ledger.OkCount >= okBefore + options.AnnouncementsPerCycle && since.Elapsed >= options.CycleDuration,
            options.ProgressTimeout + options.CycleDuration, cancellationToken);
        if (!resumed)
        {
            throw new TimeoutException($"Fewer than {options.AnnouncementsPerCycle} announcements got OK within {(options.ProgressTimeout + options.CycleDuration).TotalSeconds:F0} s {when} "
                + $"(OK {_ledger.OkCount}, errors {_ledger.ErrorCount}). Gateway output:\n{gateway.RecentOutput}");
        }
    }

    private async Task WaitForDeliveryAsync(List<FeedCollector> collectors, CancellationToken cancellationToken)
    {
        var ok = _ledger.All.Where(a => a.Outcome == AnnouncementOutcome.Ok).ToList();
        var byFeed = ByFeed(collectors);
        bool Delivered(Announcement a) =>
            IdsFor(byFeed[FeedNames.Municipality(a.Details.MunicipalityCode)], Announced, a.ArrivalId!) > 0
            && IdsFor(byFeed[FeedNames.Ind], TravellersAnnounced, a.ArrivalId!) > 0
            && IdsFor(byFeed[FeedNames.Coa], AnnouncementReceived, a.ArrivalId!) > 0;
        var started = Stopwatch.StartNew();
        var done = await WaitUntilAsync(() => ok.TrueForAll(Delivered) && collectors.TrueForAll(c => c.Unconfirmed == 0),
            options.ProgressTimeout, cancellationToken);
        log(done
            ? $"every OK announcement delivered and acknowledged on every recipient feed within {started.Elapsed.TotalSeconds:F1} s"
            : $"delivery incomplete after {options.ProgressTimeout.TotalSeconds:F0} s; checking what is missing");
    }

    private async Task VerifyAsync(Uri address, List<FeedCollector> collectors, CrashRecoveryReport report, CancellationToken cancellationToken)
    {
        var all = _ledger.All;
        report.Attempted = all.Count;
        report.Ok = all.Count(a => a.Outcome == AnnouncementOutcome.Ok);
        report.ConfirmedOnResend = all.Count(a => a.ConfirmedOnResend);
        report.FailedForGood = all.Count(a => a.Outcome != AnnouncementOutcome.Ok);
        report.FailuresDuringRun.AddRange(all.Where(a => a.Error is not null).Select(a => $"{a.Details.CaseReference} (request_id {a.RequestId}): {a.Error}"));

        using var coa = NewClient(address, "coa");
        var arrivals = await ListAllArrivalsAsync(coa, cancellationToken);
        report.ArrivalsStored = arrivals.Count;
        var stored = arrivals.ToLookup(a => a.Details.CaseReference, StringComparer.Ordinal);
        var byFeed = ByFeed(collectors);
        foreach (var announcement in all)
        {
            var caseReference = announcement.Details.CaseReference;
            var found = stored[caseReference].ToList();
            var what = $"{caseReference} (request_id {announcement.RequestId})";
            if (announcement.Outcome != AnnouncementOutcome.Ok)
            {
                if (found.Count > 0)
                {
                    report.StoredDespiteError.Add($"{what} failed ({announcement.Error}) but is stored as {found[0].ArrivalId}");
                }
                continue;
            }
            if (found.Count == 0)
            {
                report.Lost.Add($"{what} was answered OK with {announcement.ArrivalId} but no arrival is stored");
                continue;
            }
            if (found.Count > 1)
            {
                report.StoredTwice.Add($"{what} is stored {found.Count} times: {string.Join(", ", found.Select(a => a.ArrivalId))}");
            }
            if (!found.Exists(a => a.ArrivalId == announcement.ArrivalId))
            {
                report.Lost.Add($"{what} was answered OK with {announcement.ArrivalId} but is stored as {found[0].ArrivalId}");
            }
            CheckDelivery(report, byFeed[FeedNames.Municipality(announcement.Details.MunicipalityCode)], Announced, what, announcement.ArrivalId!);
            CheckDelivery(report, byFeed[FeedNames.Ind], TravellersAnnounced, what, announcement.ArrivalId!);
            CheckDelivery(report, byFeed[FeedNames.Coa], AnnouncementReceived, what, announcement.ArrivalId!);
        }
        var known = all.Select(a => a.Details.CaseReference).ToHashSet(StringComparer.Ordinal);
        report.UnknownArrivals.AddRange(arrivals.Where(a => !known.Contains(a.Details.CaseReference)).Select(a => $"{a.ArrivalId} ({a.Details.CaseReference})"));

        foreach (var feed in byFeed.Values)
        {
            await CheckFeedAsync(report, feed, cancellationToken);
        }
        foreach (var collector in collectors)
        {
            report.RedeliveredNotices += collector.Redelivered;
            report.DuplicatesFiltered += collector.Subscriber.DuplicatesFiltered;
            report.NoticesHandedOut += collector.HandedOut;
            report.SubscriberConnections += collector.Subscriber.Connections;
        }
    }

    /// <summary>The collectors of each feed: what they received together is what the feed delivered.</summary>
    private static Dictionary<string, List<FeedCollector>> ByFeed(List<FeedCollector> collectors) =>
        collectors.GroupBy(c => c.Feed, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);

    private static int IdsFor(List<FeedCollector> feed, string type, string arrivalId) =>
        feed.SelectMany(c => c.IdsFor(type, arrivalId)).Distinct(StringComparer.Ordinal).Count();

    private static void CheckDelivery(CrashRecoveryReport report, List<FeedCollector> feed, string type, string what, string arrivalId)
    {
        var ids = IdsFor(feed, type, arrivalId);
        if (ids == 0)
        {
            report.Undelivered.Add($"{type} for {what} never reached feed {feed[0].Feed}");
        }
        else if (ids > 1)
        {
            report.SeveralNoticeIds.Add($"{type} for {what} reached feed {feed[0].Feed} under {ids} notice ids");
        }
    }

    /// <summary>Sequences 1..head were all handed out (to one subscriber of the feed or another), each
    /// under one notice id, none is left unacknowledged, and none lies beyond the head.</summary>
    private static async Task CheckFeedAsync(CrashRecoveryReport report, List<FeedCollector> feed, CancellationToken cancellationToken)
    {
        var name = feed[0].Feed;
        foreach (var collector in feed.Where(c => c.Failure is not null))
        {
            report.FeedProblems.Add($"{name}: a subscriber gave up: {Describe(collector.Failure!)}");
        }
        var opened = await feed[0].OpenOnceAsync(cancellationToken);
        var head = opened.HeadSequence;
        var sequences = feed.SelectMany(c => c.Sequences())
            .GroupBy(s => s.Key)
            .ToDictionary(g => g.Key, g => g.SelectMany(s => s.Value).Distinct(StringComparer.Ordinal).Count());
        if (opened.UnacknowledgedCount != 0)
        {
            report.FeedProblems.Add($"{name}: {opened.UnacknowledgedCount} notice(s) still unacknowledged at the end");
        }
        var missing = new List<ulong>();
        for (var sequence = 1UL; sequence <= head; sequence++)
        {
            if (!sequences.ContainsKey(sequence))
            {
                missing.Add(sequence);
            }
        }
        if (missing.Count > 0)
        {
            report.FeedProblems.Add($"{name}: head {head}, but {missing.Count} sequence(s) never handed out: {string.Join(", ", missing.Take(20))}");
        }
        var beyond = sequences.Keys.Where(s => s > head || s == 0).Order().ToList();
        if (beyond.Count > 0)
        {
            report.FeedProblems.Add($"{name}: head {head}, but sequence(s) {string.Join(", ", beyond.Take(20))} were handed out");
        }
        var several = sequences.Where(s => s.Value > 1).Select(s => s.Key).Order().ToList();
        if (several.Count > 0)
        {
            report.FeedProblems.Add($"{name}: sequence(s) {string.Join(", ", several.Take(20))} came under more than one notice id");
        }
    }

    private static async Task<List<Arrival>> ListAllArrivalsAsync(GatewayClient coa, CancellationToken cancellationToken)
    {
        var arrivals = new List<Arrival>();
        var request = new ListArrivalsRequest { PageSize = 500 };
        for (var page = 0; page < 10_000; page++)
        {
            var response = await coa.ListArrivalsAsync(request, cancellationToken);
            arrivals.AddRange(response.Arrivals);
            if (response.NextPageToken.Length == 0)
            {
                return arrivals;
            }
            request.PageToken = response.NextPageToken;
        }
        throw new InvalidOperationException("ListArrivals did not end within 10,000 pages.");
    }

    private static async Task<bool> WaitUntilAsync(Func<bool> condition, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.StartNew();
        while (!condition())
        {
            if (deadline.Elapsed >= timeout)
            {
                return false;
            }
            await Task.Delay(PollInterval, cancellationToken);
        }
        return true;
    }

    private ArrivalDetails NewDetails(string code, int client, int number)
    {
        var details = new ArrivalDetails
        {
            Kind = ArrivalKind.StatusHolderHousing,
            MunicipalityCode = code,
            CaseReference = string.Create(CultureInfo.InvariantCulture, $"CHAOS-{_runId}-{client:D2}-{number:D6}"),
            ExpectedArrivalDate = _expected,
            DestinationAddress = new Address { Street = "Duurzaamheidslaan", HouseNumber = (number % 9999) + 1, PostalCode = "3511AB", City = "Utrecht" },
        };
        for (var i = 0; i <= number % 2; i++)
        {
            details.Travellers.Add(new TravellerDetails
            {
                VNumber = Interlocked.Increment(ref _vNumbers).ToString(CultureInfo.InvariantCulture),
                Name = new PersonName { GivenNames = "Reiziger", Surname = "Chaos" },
                BirthDate = new Date { Year = 1985 + i },
                Sex = i == 0 ? Sex.Female : Sex.Male,
                Nationality = "SYR",
                Relation = Relation.None,
            });
        }
        return details;
    }

    private static Date ToDate(DateOnly date) => new() { Year = date.Year, Month = date.Month, Day = date.Day };

    /// <summary>How a call fails for good in the SDK: a gRPC status, the retry budget's timeout, an
    /// open circuit, or the transport.</summary>
    private static bool IsCallFailure(Exception exception) =>
        exception is RpcException or TimeoutRejectedException or BrokenCircuitException or HttpRequestException or IOException;

    private static string Describe(Exception exception) => exception is RpcException rpc
        ? $"{rpc.StatusCode}: {rpc.Status.Detail}"
        : $"{exception.GetType().Name}: {exception.Message}";
}
