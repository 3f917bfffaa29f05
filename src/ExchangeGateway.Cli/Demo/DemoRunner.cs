using System.Collections.Concurrent;
using System.Globalization;
using ExchangeGateway.Cli.Serve;
using ExchangeGateway.Client;
using ExchangeGateway.Client.Connection;
using ExchangeGateway.Contracts.V1;
using ExchangeGateway.Server.Identity;
using ExchangeGateway.Server.Rules;
using ExchangeGateway.Server.Storage;
using Grpc.Core;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace ExchangeGateway.Cli.Demo;

/// <summary>Runs the gateway and simulated COA, IND, chain-coordination and municipal systems against
/// it, each a real gRPC client over mutual TLS with its own certificate, and checks that the chain
/// closes: a late announcement is flagged, a household of three waits for consent, every traveller
/// gets a BSN, every nareiziger checks in at the IND.</summary>
internal sealed class DemoRunner(string certificates, TextWriter output)
{
    /// <summary>The password of the PKCS#12 files the demo writes for a person's browser (development certificates only).</summary>
    public const string BrowserCertificatePassword = "demo";

    /// <summary>Whose certificates the demo exports for a browser: chain coordination's national view and a municipality's own.</summary>
    private static readonly string[] BrowserOrganisations = ["ketenregie", "gemeente-utrecht"];

    private static readonly string[] Municipalities = ["gemeente-amsterdam", "gemeente-utrecht", "gemeente-groningen"];

    /// <summary>Has its feed posted to a webhook receiver instead of holding a stream.</summary>
    private const string WebhookMunicipality = "gemeente-groningen";

    private readonly Lock _print = new();
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _received = new();
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _consented = new();
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _departureRefused = new();
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _completed = new();
    private readonly ConcurrentDictionary<string, ArrivalDetails> _seenByMunicipality = new();
    private readonly ConcurrentDictionary<string, ArrivalKind> _seenByInd = new();
    private readonly TaskCompletionSource _unannouncedSeen = NewSignal();
    private int _bsnSeed;

    /// <summary>Runs the chain; with <paramref name="stay"/>, keeps the gateway and its dashboard up
    /// afterwards until <paramref name="stay"/> is cancelled (Ctrl+C), so a person can look at it.</summary>
    public async Task<bool> RunAsync(CancellationToken cancellationToken, CancellationToken? stay = null)
    {
        var work = Directory.CreateTempSubdirectory("exgw-demo-").FullName;
        // The webhook receiver and its registry entry need the development PKI before the gateway starts.
        if (!DevCertificateAuthority.Exists(certificates))
        {
            DevCertificateAuthority.Generate(certificates);
            output.WriteLine($"Generated development certificates in {certificates}");
        }
        DevCertificateAuthority.Complete(certificates);
        Uri? address = null;
        GatewayClient? webhookClient = null;
        await using var receiver = await DemoWebhookReceiver.StartAsync(certificates,
            notice => OnMunicipalityNoticeAsync(webhookClient!, WebhookMunicipality + " (webhook)", notice), () => address!, WebhookMunicipality);
        var registry = WriteRegistry(work, receiver);
        var settings = new ServeSettings(true, certificates, Path.Combine(work, "demo.db"), "https://127.0.0.1:0",
            ["--Logging:LogLevel:Default=Warning", "--Logging:LogLevel:Microsoft.Hosting.Lifetime=Warning", "--Gateway:Management:Urls=http://127.0.0.1:0",
             $"--Gateway:OrganisationRegistryPath={registry}", $"--Gateway:Dashboard:Urls=https://127.0.0.1:{Serve.GatewayProcess.FreePort()}", "--Gateway:Webhooks:AllowedNetworks:0=127.0.0.0/8", "--Gateway:Webhooks:AllowedNetworks:1=::1/128"]);
        var (app, refusal) = GatewayLauncher.Build(settings, output);
        if (app is null)
        {
            output.WriteLine(refusal);
            return false;
        }
        await using var _ = app;
        await app.StartAsync(cancellationToken);
        address = new Uri(GatewayLauncher.Addresses(app)[0]);
        Say("gateway", $"listening on {address} (mutual TLS, SQLite synchronous=FULL)");
        var dashboard = GatewayLauncher.DashboardUrls(app)[0];
        Say("gateway", $"dashboard on {dashboard}/ (a browser with an organisation's client certificate)");
        Say(WebhookMunicipality, $"no stream: its feed is posted to {receiver.Url} (thin NL GOV CloudEvents, signed, mutual TLS); it reads arrivals over REST");

        using var coa = Connect(address, "coa");
        using var ind = Connect(address, "ind");
        using var chain = Connect(address, "ketenregie");
        var municipalities = Municipalities.ToDictionary(id => id, id => Connect(address, id));
        webhookClient = municipalities[WebhookMunicipality];
        using var subscribers = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var listeners = new List<Task>
        {
            Listen("coa", coa, n => OnCoaNoticeAsync(coa, n), subscribers.Token),
            Listen("ind", ind, n => OnIndNoticeAsync(ind, n), subscribers.Token),
            Listen("ketenregie", chain, OnChainNoticeAsync, subscribers.Token),
        };
        listeners.AddRange(municipalities.Where(m => m.Key != WebhookMunicipality)
            .Select(m => Listen(m.Key, m.Value, n => OnMunicipalityNoticeAsync(m.Value, m.Key, n), subscribers.Token)));

        var vNumbers = 0;
        var today = AmsterdamCalendar.Today(TimeProvider.System);
        var households = DemoHouseholds.Create(today.AddDays(14), today.AddDays(3),
            () => (4_100_000_000L + Interlocked.Increment(ref vNumbers) * 7).ToString(CultureInfo.InvariantCulture));
        var arrivals = new List<Arrival>();
        foreach (var household in households)
        {
            _received.TryAdd(household.CaseReference, NewSignal());
            var arrival = await coa.AnnounceArrivalAsync(household, cancellationToken: cancellationToken);
            _completed.TryAdd(arrival.ArrivalId, NewSignal());
            var consent = _consented.GetOrAdd(arrival.ArrivalId, _ => NewSignal());
            if (arrival.State != ArrivalState.AwaitingConsent)
            {
                consent.TrySetResult();
            }
            arrivals.Add(arrival);
            Say("coa", $"announced {household.CaseReference}: {household.Kind}, {household.Travellers.Count} traveller(s) to {household.MunicipalityCode} -> arrival {Short(arrival.ArrivalId)}, {arrival.State}"
                + (arrival.LateAnnouncement ? ", flagged LATE (less than the minimum lead time)" : ""));
        }

        // COA may not send a household that needs consent before the municipality has given it.
        foreach (var waiting in arrivals.Where(a => a.State == ArrivalState.AwaitingConsent))
        {
            try
            {
                await coa.ReportDepartureAsync(waiting.ArrivalId, cancellationToken: cancellationToken);
                Say("coa", $"{waiting.Details.CaseReference}: departure accepted without consent (unexpected)");
                return false;
            }
            catch (RpcException refused) when (refused.StatusCode == StatusCode.FailedPrecondition)
            {
                Say("coa", $"{waiting.Details.CaseReference}: departure refused by the gateway: {refused.Status.Detail}");
            }
            Signal(_departureRefused, waiting.ArrivalId);
        }

        foreach (var arrival in arrivals)
        {
            await _received[arrival.Details.CaseReference].Task.WaitAsync(cancellationToken);
            await _consented[arrival.ArrivalId].Task.WaitAsync(cancellationToken);
            await coa.ReportDepartureAsync(arrival.ArrivalId, cancellationToken: cancellationToken);
            Say("coa", $"{arrival.Details.CaseReference}: travellers left for {arrival.Details.MunicipalityCode}");
            await coa.ReportTravellersArrivedAsync(arrival.ArrivalId, cancellationToken: cancellationToken);
            Say("coa", $"{arrival.Details.CaseReference}: travellers arrived in {arrival.Details.MunicipalityCode}");
        }
        await Task.WhenAll(arrivals.Select(a => _completed[a.ArrivalId].Task)).WaitAsync(cancellationToken);

        // Two people turn up in Amsterdam without a notice: one announced nowhere, one announced to
        // Groningen. Amsterdam learns only that neither was announced to it; COA, the IND and chain
        // coordination learn what the gateway matched.
        var stranger = (4_100_000_000L + Interlocked.Increment(ref vNumbers) * 7).ToString(CultureInfo.InvariantCulture);
        var elsewhere = DemoHouseholds.Create(today.AddDays(21), today.AddDays(21),
            () => (4_100_000_000L + Interlocked.Increment(ref vNumbers) * 7).ToString(CultureInfo.InvariantCulture))[3];
        elsewhere.CaseReference = "COA-2026-1007";
        var toGroningen = await coa.AnnounceArrivalAsync(elsewhere, cancellationToken: cancellationToken);
        Say("coa", $"announced {elsewhere.CaseReference} to {elsewhere.MunicipalityCode} -> arrival {Short(toGroningen.ArrivalId)}");
        var report = await municipalities["gemeente-amsterdam"].ReportUnannouncedArrivalAsync(
            [stranger, elsewhere.Travellers[0].VNumber], today, "0363", "Reported at the front desk; living with a relative.", cancellationToken: cancellationToken);
        Say("gemeente-amsterdam", $"reported 2 people who arrived unannounced (report {Short(report.ReportId)}); announced to Amsterdam: "
            + string.Join(", ", report.Persons.Select(p => p.AnnouncedHere ? "yes" : "no")));
        await _unannouncedSeen.Task.WaitAsync(cancellationToken);

        var unacknowledged = await WaitForAllAcknowledgedAsync(app.Services.GetRequiredService<GatewayDbContextFactory>(), cancellationToken);
        await subscribers.CancelAsync();
        await Task.WhenAll(listeners.Select(l => l.ContinueWith(_ => { }, TaskScheduler.Default)));

        var overview = await chain.GetOverviewAsync(cancellationToken: cancellationToken);
        var webhooks = await chain.ListWebhookSubscriptionsAsync(cancellationToken);
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

        var ok = PrintTable(final, unacknowledged);
        output.WriteLine();
        output.WriteLine("National overview (exgw status, as chain coordination sees it):");
        Status.StatusTable.Write(overview, output);
        output.WriteLine();
        output.WriteLine("Webhook subscriptions (exgw webhooks):");
        Webhooks.WebhookTable.Write(webhooks, output);
        output.WriteLine($"Database: {Path.Combine(work, "demo.db")}");
        output.WriteLine();
        output.WriteLine($"Dashboard: {dashboard}/ (in Dutch). Import a browser certificate first, password '{BrowserCertificatePassword}':");
        foreach (var organisation in BrowserOrganisations)
        {
            output.WriteLine($"  {ExportForBrowser(organisation)}");
        }
        if (stay is { } until)
        {
            output.WriteLine("The gateway and its dashboard stay up; Ctrl+C stops them.");
            // Ends with Ctrl+C or SIGTERM, which the host's lifetime receives first.
            await app.WaitForShutdownAsync(until);
        }
        else
        {
            output.WriteLine("The gateway stops now; `exgw demo --keep-running` keeps it and the dashboard up.");
        }
        await app.StopAsync(CancellationToken.None);
        return ok;
    }

    /// <summary>The organisation's development certificate and key as one PKCS#12 file, which browsers import.</summary>
    private string ExportForBrowser(string organisation)
    {
        var path = Path.Combine(certificates, organisation + ".p12");
        using var certificate = System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPemFile(
            DevCertificateAuthority.CertificatePath(certificates, organisation), DevCertificateAuthority.KeyPath(certificates, organisation));
        File.WriteAllBytes(path, certificate.Export(System.Security.Cryptography.X509Certificates.X509ContentType.Pkcs12, BrowserCertificatePassword));
        return path;
    }

    private bool PrintTable(List<Arrival> arrivals, long unacknowledged)
    {
        output.WriteLine();
        output.WriteLine("case reference  arrival   municipality  kind                   travellers  late  consent      received  state      BSNs  IND");
        output.WriteLine("--------------  --------  ------------  ---------------------  ----------  ----  -----------  --------  ---------  ----  ---");
        foreach (var arrival in arrivals)
        {
            var withBsn = arrival.Travellers.Count(t => t.Bsn.Length == 9);
            var checkedIn = arrival.Details.Kind == ArrivalKind.FamilyReunification
                ? $"{arrival.Travellers.Count(t => t.CheckedInAt is not null)}/{arrival.Travellers.Count}"
                : "-";
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{arrival.Details.CaseReference,-14}  {Short(arrival.ArrivalId),-8}  {arrival.Details.MunicipalityCode,-12}  {arrival.Details.Kind,-21}  {arrival.Travellers.Count,10}  {(arrival.LateAnnouncement ? "yes" : "no"),-4}  {arrival.Consent.Status,-11}  {(arrival.AcknowledgedAt is null ? "no" : "yes"),-8}  {arrival.State,-9}  {withBsn + "/" + arrival.Travellers.Count,-4}  {checkedIn}"));
        }
        var complete = arrivals.All(a => a.State == ArrivalState.Completed && a.Travellers.All(t => t.Bsn.Length == 9));
        output.WriteLine();
        output.WriteLine($"Unacknowledged notices left on all feeds: {unacknowledged}");
        output.WriteLine(complete && unacknowledged == 0
            ? "OK: every traveller has a BSN, every nareiziger checked in at the IND, and every notice was acknowledged."
            : "FAILED: the chain did not close.");
        return complete && unacknowledged == 0;
    }

    private async Task OnMunicipalityNoticeAsync(GatewayClient client, string who, Notice notice)
    {
        switch (notice.PayloadCase)
        {
            case Notice.PayloadOneofCase.ArrivalAnnounced:
                _seenByMunicipality[notice.Subject] = notice.ArrivalAnnounced.Details;
                Say(who, $"received announcement {notice.ArrivalAnnounced.Details.CaseReference} (#{notice.Sequence}), {notice.ArrivalAnnounced.Details.Travellers.Count} traveller(s)"
                    + (notice.ArrivalAnnounced.LateAnnouncement ? ", at short notice" : "") + "; acknowledging");
                Signal(_received, notice.ArrivalAnnounced.Details.CaseReference);
                break;
            case Notice.PayloadOneofCase.ConsentRequested:
                var request = notice.ConsentRequested;
                var reference = _seenByMunicipality[notice.Subject].CaseReference;
                Say(who, $"{reference}: consent requested for a household of {request.HouseholdSize}, to decide by {request.DecideBy.Year:D4}-{request.DecideBy.Month:D2}-{request.DecideBy.Day:D2}; checking the referent's home");
                await _departureRefused.GetOrAdd(notice.Subject, _ => NewSignal()).Task;
                await client.DecideConsentAsync(notice.Subject, ConsentStatus.Granted);
                Say(who, $"{reference}: consent granted");
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

    private async Task OnCoaNoticeAsync(GatewayClient coa, Notice notice)
    {
        switch (notice.PayloadCase)
        {
            case Notice.PayloadOneofCase.AnnouncementReceived:
                Say("coa", $"{notice.AnnouncementReceived.CaseReference}: received by municipality {notice.AnnouncementReceived.MunicipalityCode}");
                break;
            case Notice.PayloadOneofCase.ConsentDecided:
                Say("coa", $"{notice.ConsentDecided.CaseReference}: municipality {notice.ConsentDecided.MunicipalityCode} decided {notice.ConsentDecided.Decision}");
                Signal(_consented, notice.Subject);
                break;
            case Notice.PayloadOneofCase.BsnAssigned or Notice.PayloadOneofCase.TravellerCheckedIn:
                Say("coa", notice.PayloadCase == Notice.PayloadOneofCase.BsnAssigned
                    ? $"arrival {Short(notice.Subject)}: BSN assigned to {notice.BsnAssigned.Travellers.Count} traveller(s)"
                    : $"arrival {Short(notice.Subject)}: a traveller checked in at the IND");
                if ((await coa.GetArrivalAsync(notice.Subject)).State == ArrivalState.Completed && Signal(_completed, notice.Subject))
                {
                    Say("coa", $"arrival {Short(notice.Subject)}: completed");
                }
                break;
            default:
                Say("coa", $"received {notice.Type} about {Short(notice.Subject)}");
                break;
        }
    }

    private async Task OnIndNoticeAsync(GatewayClient ind, Notice notice)
    {
        var what = notice.PayloadCase switch
        {
            Notice.PayloadOneofCase.TravellersAnnounced => $"{notice.TravellersAnnounced.VNumbers.Count} V-number(s) expected in {notice.TravellersAnnounced.MunicipalityCode}",
            Notice.PayloadOneofCase.RegistrationReported => $"BRP registration reported in {notice.RegistrationReported.MunicipalityCode}",
            Notice.PayloadOneofCase.BsnAssigned => $"BSN linked to {notice.BsnAssigned.Travellers.Count} V-number(s)",
            _ => notice.Type,
        };
        Say("ind", $"{Short(notice.Subject)}: {what}");
        if (notice.PayloadCase == Notice.PayloadOneofCase.TravellersAnnounced)
        {
            _seenByInd[notice.Subject] = notice.TravellersAnnounced.Kind;
        }
        else if (notice.PayloadCase == Notice.PayloadOneofCase.RegistrationReported
            && _seenByInd.GetValueOrDefault(notice.Subject) == ArrivalKind.FamilyReunification)
        {
            // The nareizigers, now registered, report at the IND desk and receive their residence document.
            foreach (var traveller in notice.RegistrationReported.Travellers)
            {
                await ind.ReportCheckInAsync(traveller.VNumber);
            }
            Say("ind", $"{Short(notice.Subject)}: {notice.RegistrationReported.Travellers.Count} nareiziger(s) checked in, residence document issued");
        }
    }

    private Task OnChainNoticeAsync(Notice notice)
    {
        var what = notice.PayloadCase switch
        {
            Notice.PayloadOneofCase.EscalationRaised => $"escalation {notice.EscalationRaised.Escalation.Kind}: {notice.EscalationRaised.Escalation.Description}",
            Notice.PayloadOneofCase.UnannouncedArrivalReported => $"unannounced arrival in {notice.UnannouncedArrivalReported.MunicipalityCode}: "
                + string.Join(", ", notice.UnannouncedArrivalReported.Persons.Select(p => p.Match)),
            _ => notice.Type,
        };
        if (notice.PayloadCase == Notice.PayloadOneofCase.UnannouncedArrivalReported)
        {
            _unannouncedSeen.TrySetResult();
        }
        Say("ketenregie", $"{Short(notice.Subject)}: {what}");
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

    /// <summary>The development registry with the webhook municipality's feed posted to <paramref name="receiver"/>.</summary>
    private string WriteRegistry(string work, DemoWebhookReceiver receiver)
    {
        const string secretFile = "webhook-0014.secret";
        File.WriteAllText(Path.Combine(work, secretFile), receiver.Secret);
        var registry = OrganisationRegistry.Load(Path.Combine(certificates, DevCertificateAuthority.RegistryFile));
        var endpoint = new Server.Webhooks.WebhookEndpoint(FeedNames.Municipality("0014"), receiver.Url, secretFile,
            Server.Webhooks.WebhookSecret.Parse(receiver.Secret), 4, Server.Webhooks.WebhookContent.Thin);
        var path = Path.Combine(work, DevCertificateAuthority.RegistryFile);
        new OrganisationRegistry(registry.Organisations.Select(o => o.Id == WebhookMunicipality ? o with { Webhooks = [endpoint] } : o)).Save(path);
        return path;
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

    /// <summary>Sets the signal; false when it was set already.</summary>
    private static bool Signal(ConcurrentDictionary<string, TaskCompletionSource> signals, string key) =>
        signals.GetOrAdd(key, _ => NewSignal()).TrySetResult();

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private static string Short(string id) => id[^8..];
}
