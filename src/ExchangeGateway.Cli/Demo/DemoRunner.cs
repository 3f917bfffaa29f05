using System.Collections.Concurrent;
using System.Globalization;
using ExchangeGateway.Cli.Serve;
using ExchangeGateway.Client;
using ExchangeGateway.Client.Connection;
using ExchangeGateway.Contracts.V1;
using ExchangeGateway.Server.Identity;
using ExchangeGateway.Server.Rules;
using ExchangeGateway.Server.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ExchangeGateway.Cli.Demo;

/// <summary>Runs the gateway and simulated COA, IND and municipal systems against it, each a real gRPC
/// client over mutual TLS with its own certificate, and checks that the chain closes.</summary>
internal sealed class DemoRunner(string certificates, TextWriter output)
{
    private static readonly string[] Municipalities = ["gemeente-amsterdam", "gemeente-utrecht", "gemeente-groningen"];

    private readonly Lock _print = new();
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _received = new();
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _completed = new();
    private readonly ConcurrentDictionary<string, ArrivalDetails> _seenByMunicipality = new();
    private int _bsnSeed;

    public async Task<bool> RunAsync(CancellationToken cancellationToken)
    {
        var work = Directory.CreateTempSubdirectory("exgw-demo-").FullName;
        var settings = new ServeSettings(true, certificates, Path.Combine(work, "demo.db"), "https://127.0.0.1:0",
            ["--Logging:LogLevel:Default=Warning", "--Logging:LogLevel:Microsoft.Hosting.Lifetime=Warning"]);
        var (app, refusal) = GatewayLauncher.Build(settings, output);
        if (app is null)
        {
            output.WriteLine(refusal);
            return false;
        }
        await using var _ = app;
        await app.StartAsync(cancellationToken);
        var address = new Uri(GatewayLauncher.Addresses(app)[0]);
        Say("gateway", $"listening on {address} (mutual TLS, SQLite synchronous=FULL)");

        using var coa = Connect(address, "coa");
        using var ind = Connect(address, "ind");
        var municipalities = Municipalities.ToDictionary(id => id, id => Connect(address, id));
        using var subscribers = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var listeners = new List<Task>
        {
            Listen("coa", coa, OnCoaNoticeAsync, subscribers.Token),
            Listen("ind", ind, OnIndNoticeAsync, subscribers.Token),
        };
        listeners.AddRange(municipalities.Select(m => Listen(m.Key, m.Value, n => OnMunicipalityNoticeAsync(m.Value, m.Key, n), subscribers.Token)));

        var vNumbers = 0;
        var households = DemoHouseholds.Create(AmsterdamCalendar.Today(TimeProvider.System).AddDays(7),
            () => (4_100_000_000L + Interlocked.Increment(ref vNumbers) * 7).ToString(CultureInfo.InvariantCulture));
        var arrivals = new List<Arrival>();
        foreach (var household in households)
        {
            var arrival = await coa.AnnounceArrivalAsync(household, cancellationToken: cancellationToken);
            _received.TryAdd(arrival.ArrivalId, NewSignal());
            _completed.TryAdd(arrival.ArrivalId, NewSignal());
            arrivals.Add(arrival);
            Say("coa", $"announced {household.CaseReference}: {household.Kind}, {household.Travellers.Count} traveller(s) to {household.MunicipalityCode} -> arrival {Short(arrival.ArrivalId)}");
        }

        foreach (var arrival in arrivals)
        {
            await _received[arrival.ArrivalId].Task.WaitAsync(cancellationToken);
            await coa.ReportDepartureAsync(arrival.ArrivalId, cancellationToken: cancellationToken);
            Say("coa", $"{arrival.Details.CaseReference}: travellers left for {arrival.Details.MunicipalityCode}");
            await coa.ReportTravellersArrivedAsync(arrival.ArrivalId, cancellationToken: cancellationToken);
            Say("coa", $"{arrival.Details.CaseReference}: travellers arrived in {arrival.Details.MunicipalityCode}");
        }
        await Task.WhenAll(arrivals.Select(a => _completed[a.ArrivalId].Task)).WaitAsync(cancellationToken);

        var unacknowledged = await WaitForAllAcknowledgedAsync(app.Services.GetRequiredService<GatewayDbContextFactory>(), cancellationToken);
        await subscribers.CancelAsync();
        await Task.WhenAll(listeners.Select(l => l.ContinueWith(_ => { }, TaskScheduler.Default)));

        var final = new List<Arrival>();
        foreach (var arrival in arrivals)
        {
            final.Add(await coa.GetArrivalAsync(arrival.ArrivalId, cancellationToken));
        }
        var lookup = await ind.LookupTravellerAsync(final[1].Travellers[0].VNumber, cancellationToken);
        Say("ind", $"lookup of a traveller of {final[1].Details.CaseReference}: announced to {lookup.Records[0].MunicipalityCode}, {lookup.Records[0].RegistrationStatus}, BSN {(lookup.Records[0].Bsn.Length == 9 ? "known" : "missing")}");
        foreach (var client in municipalities.Values)
        {
            client.Dispose();
        }

        await app.StopAsync(CancellationToken.None);
        var ok = PrintTable(final, unacknowledged);
        output.WriteLine($"Database: {Path.Combine(work, "demo.db")}");
        return ok;
    }

    private bool PrintTable(List<Arrival> arrivals, long unacknowledged)
    {
        output.WriteLine();
        output.WriteLine("case reference  arrival   municipality  kind                   travellers  received  state      BSNs");
        output.WriteLine("--------------  --------  ------------  ---------------------  ----------  --------  ---------  ----");
        foreach (var arrival in arrivals)
        {
            var withBsn = arrival.Travellers.Count(t => t.Bsn.Length == 9);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{arrival.Details.CaseReference,-14}  {Short(arrival.ArrivalId),-8}  {arrival.Details.MunicipalityCode,-12}  {arrival.Details.Kind,-21}  {arrival.Travellers.Count,10}  {(arrival.AcknowledgedAt is null ? "no" : "yes"),-8}  {arrival.State,-9}  {withBsn}/{arrival.Travellers.Count}"));
        }
        var complete = arrivals.All(a => a.State == ArrivalState.Completed && a.Travellers.All(t => t.Bsn.Length == 9));
        output.WriteLine();
        output.WriteLine($"Unacknowledged notices left on all feeds: {unacknowledged}");
        output.WriteLine(complete && unacknowledged == 0
            ? "OK: every traveller of every arrival has a BSN and every notice was acknowledged."
            : "FAILED: the chain did not close.");
        return complete && unacknowledged == 0;
    }

    private async Task OnMunicipalityNoticeAsync(GatewayClient client, string who, Notice notice)
    {
        switch (notice.PayloadCase)
        {
            case Notice.PayloadOneofCase.ArrivalAnnounced:
                _seenByMunicipality[notice.Subject] = notice.ArrivalAnnounced.Details;
                Say(who, $"received announcement {notice.ArrivalAnnounced.Details.CaseReference} (#{notice.Sequence}), {notice.ArrivalAnnounced.Details.Travellers.Count} traveller(s); acknowledging");
                break;
            case Notice.PayloadOneofCase.TravellersArrived:
                var details = _seenByMunicipality[notice.Subject];
                var today = AmsterdamCalendar.Today(TimeProvider.System);
                await client.ReportRegistrationAsync(notice.Subject, details.Travellers.Select(t => new TravellerRegistration
                {
                    VNumber = t.VNumber,
                    Status = RegistrationStatus.Registered,
                    RegisteredOn = new Date { Year = today.Year, Month = today.Month, Day = today.Day },
                }));
                Say(who, $"{details.CaseReference}: travellers reported; registered in the BRP");
                await client.ReportBsnAssignedAsync(notice.Subject, details.Travellers.Select(t =>
                {
                    var seed = Interlocked.Increment(ref _bsnSeed);
                    return new BsnAssignment { VNumber = t.VNumber, Bsn = DemoHouseholds.Bsn(seed), ANumber = DemoHouseholds.ANummer(seed) };
                }));
                Say(who, $"{details.CaseReference}: BSN assigned to {details.Travellers.Count} traveller(s)");
                break;
            default:
                Say(who, $"received {notice.Type} (#{notice.Sequence})");
                break;
        }
    }

    private Task OnCoaNoticeAsync(Notice notice)
    {
        switch (notice.PayloadCase)
        {
            case Notice.PayloadOneofCase.AnnouncementReceived:
                Say("coa", $"{notice.AnnouncementReceived.CaseReference}: received by municipality {notice.AnnouncementReceived.MunicipalityCode}");
                Signal(_received, notice.Subject);
                break;
            case Notice.PayloadOneofCase.BsnAssigned:
                Say("coa", $"arrival {Short(notice.Subject)}: BSN assigned to {notice.BsnAssigned.Travellers.Count} traveller(s)");
                Signal(_completed, notice.Subject);
                break;
            default:
                Say("coa", $"received {notice.Type} about arrival {Short(notice.Subject)}");
                break;
        }
        return Task.CompletedTask;
    }

    private Task OnIndNoticeAsync(Notice notice)
    {
        var what = notice.PayloadCase switch
        {
            Notice.PayloadOneofCase.TravellersAnnounced => $"{notice.TravellersAnnounced.VNumbers.Count} V-number(s) expected in {notice.TravellersAnnounced.MunicipalityCode}",
            Notice.PayloadOneofCase.RegistrationReported => $"BRP registration reported in {notice.RegistrationReported.MunicipalityCode}",
            Notice.PayloadOneofCase.BsnAssigned => $"BSN linked to {notice.BsnAssigned.Travellers.Count} V-number(s)",
            _ => notice.Type,
        };
        Say("ind", $"arrival {Short(notice.Subject)}: {what}");
        return Task.CompletedTask;
    }

    private async Task Listen(string who, GatewayClient client, Func<Notice, Task> handle, CancellationToken cancellationToken)
    {
        var subscriber = client.Subscribe();
        subscriber.Connected += opened => Say(who, $"stream open on feed '{opened.Feed}' ({opened.UnacknowledgedCount} unacknowledged)");
        await foreach (var received in subscriber.ReadAllAsync(cancellationToken))
        {
            await handle(received.Notice);
            await received.AcknowledgeAsync(cancellationToken);
        }
    }

    private static async Task<long> WaitForAllAcknowledgedAsync(GatewayDbContextFactory contexts, CancellationToken cancellationToken)
    {
        while (true)
        {
            await using var db = contexts.CreateDbContext();
            var left = await db.Notices.LongCountAsync(n => n.AcknowledgedAt == null, cancellationToken);
            if (left == 0)
            {
                return 0;
            }
            await Task.Delay(50, cancellationToken);
        }
    }

    private GatewayClient Connect(Uri address, string organisation) => new(GatewayConnectionOptions.FromPem(address,
        DevCertificateAuthority.CertificatePath(certificates, organisation),
        DevCertificateAuthority.KeyPath(certificates, organisation),
        Path.Combine(certificates, DevCertificateAuthority.CaFile)));

    private void Say(string who, string what)
    {
        lock (_print)
        {
            output.WriteLine($"{DateTime.Now:HH:mm:ss.fff} {who,-18} {what}");
        }
    }

    private static void Signal(ConcurrentDictionary<string, TaskCompletionSource> signals, string arrivalId) =>
        signals.GetOrAdd(arrivalId, _ => NewSignal()).TrySetResult();

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private static string Short(string arrivalId) => arrivalId[^8..];
}
