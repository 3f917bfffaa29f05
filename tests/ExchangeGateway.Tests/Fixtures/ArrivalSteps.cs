using ExchangeGateway.Contracts.V1;
using ExchangeGateway.Server.Rules;
using ExchangeGateway.Tests.Shared;
using Google.Protobuf.WellKnownTypes;
using Microsoft.EntityFrameworkCore;

namespace ExchangeGateway.Tests.Fixtures;

/// <summary>Brings an arrival to the state a test starts from, through the real RPCs, and reads
/// what the gateway stored about it.</summary>
internal static class ArrivalSteps
{
    public const string Announced = "nl.asielketen.aankomst-aangekondigd";
    public const string Amended = "nl.asielketen.aankomst-gewijzigd";
    public const string Cancelled = "nl.asielketen.aankomst-geannuleerd";
    public const string Departed = "nl.asielketen.vertrek-gemeld";
    public const string Arrived = "nl.asielketen.aankomst-gemeld";
    public const string Received = "nl.asielketen.aankondiging-ontvangen";
    public const string RegistrationReported = "nl.asielketen.inschrijving-gemeld";
    public const string BsnAssigned = "nl.asielketen.bsn-toegekend";
    public const string TravellersAnnounced = "nl.asielketen.vreemdelingen-aangekondigd";
    public const string Escalation = "nl.asielketen.escalatie";
    public const string ConsentRequested = "nl.asielketen.instemming-gevraagd";
    public const string ConsentDecided = "nl.asielketen.instemming-besloten";
    public const string CheckedIn = "nl.asielketen.ind-gemeld";

    public static string NewRequestId() => Guid.NewGuid().ToString();

    /// <summary>The organisation of the development set that serves <paramref name="municipalityCode"/>.</summary>
    public static string OrganisationServing(string municipalityCode) => municipalityCode switch
    {
        "0363" => "gemeente-amsterdam",
        "0344" => "gemeente-utrecht",
        "0014" => "gemeente-groningen",
        "0505" or "0590" => "brp-drechtsteden",
        _ => throw new ArgumentOutOfRangeException(nameof(municipalityCode), municipalityCode, "No organisation of the development set serves this code."),
    };

    public static DateOnly Today(this GatewayHost host) => AmsterdamCalendar.Today(host.Time);

    public static async Task<Arrival> AnnounceAsync(this GatewayHost host, ArrivalDetails details) =>
        (await host.Arrivals().AnnounceArrivalAsync(new AnnounceArrivalRequest { RequestId = NewRequestId(), Arrival = details })).Arrival;

    public static async Task<Arrival> GetAsync(this GatewayHost host, string arrivalId, string organisationId = "coa") =>
        (await host.Arrivals(organisationId).GetArrivalAsync(new GetArrivalRequest { ArrivalId = arrivalId })).Arrival;

    /// <summary>The municipality's system acknowledges the (latest) announcement of the arrival on its feed.</summary>
    public static async Task<Arrival> AcknowledgeAnnouncementAsync(this GatewayHost host, string arrivalId)
    {
        var code = (await host.GetAsync(arrivalId)).Details.MunicipalityCode;
        var feed = "municipality:" + code;
        long sequence;
        await using (var db = host.Db())
        {
            sequence = await db.Notices
                .Where(n => n.FeedId == feed && n.Subject == arrivalId && n.Type == Announced)
                .OrderByDescending(n => n.Sequence)
                .Select(n => n.Sequence)
                .FirstAsync();
        }
        await using var reader = await FeedReader.OpenAsync(host.Feed(OrganisationServing(code)),
            new OpenFeed { MunicipalityCode = code, MaxUnacknowledged = 1 });
        var confirmed = await reader.AcknowledgeAsync((ulong)sequence);
        Assert.Contains((ulong)sequence, confirmed.Sequences);
        return await host.GetAsync(arrivalId);
    }

    public static async Task<Arrival> DepartAsync(this GatewayHost host, string arrivalId, DateTimeOffset? departedAt = null) =>
        (await host.Arrivals().ReportDepartureAsync(new ReportDepartureRequest
        {
            RequestId = NewRequestId(),
            ArrivalId = arrivalId,
            DepartedAt = departedAt is { } at ? Timestamp.FromDateTimeOffset(at) : null,
        })).Arrival;

    public static async Task<Arrival> ArriveAsync(this GatewayHost host, string arrivalId, DateTimeOffset? arrivedAt = null) =>
        (await host.Arrivals().ReportTravellersArrivedAsync(new ReportTravellersArrivedRequest
        {
            RequestId = NewRequestId(),
            ArrivalId = arrivalId,
            ArrivedAt = arrivedAt is { } at ? Timestamp.FromDateTimeOffset(at) : null,
        })).Arrival;

    /// <summary>Announces the arrival; the travellers left three days ago and arrived two days ago.</summary>
    public static async Task<Arrival> AnnounceArrivedAsync(this GatewayHost host, ArrivalDetails details)
    {
        var arrival = await host.AnnounceAsync(details);
        var now = host.Time.GetUtcNow();
        await host.DepartAsync(arrival.ArrivalId, now.AddDays(-3));
        return await host.ArriveAsync(arrival.ArrivalId, now.AddDays(-2));
    }

    /// <summary>The Amsterdam day on which the travellers of <paramref name="arrival"/> arrived.</summary>
    public static DateOnly ArrivalDay(Arrival arrival) => AmsterdamCalendar.DateOf(arrival.ArrivedAt.ToDateTimeOffset());

    /// <summary>The municipality reports every traveller REGISTERED on the day they arrived.</summary>
    public static async Task<Arrival> RegisterAllAsync(this GatewayHost host, Arrival arrival)
    {
        var request = new ReportRegistrationRequest { RequestId = NewRequestId(), ArrivalId = arrival.ArrivalId };
        request.Registrations.AddRange(arrival.Details.Travellers.Select(t => new TravellerRegistration
        {
            VNumber = t.VNumber,
            Status = RegistrationStatus.Registered,
            RegisteredOn = TestArrivals.ToDate(ArrivalDay(arrival)),
        }));
        return (await host.Municipality(OrganisationServing(arrival.Details.MunicipalityCode)).ReportRegistrationAsync(request)).Arrival;
    }

    /// <summary>The IND reports every traveller of <paramref name="arrival"/> checked in, now.</summary>
    public static async Task CheckInAllAsync(this GatewayHost host, Arrival arrival)
    {
        foreach (var traveller in arrival.Details.Travellers)
        {
            await host.Ind().ReportCheckInAsync(new ReportCheckInRequest { RequestId = NewRequestId(), VNumber = traveller.VNumber });
        }
    }

    /// <summary>The municipality serving the arrival decides on consent.</summary>
    public static async Task<Arrival> DecideConsentAsync(this GatewayHost host, Arrival arrival, ConsentStatus decision, string reason = "") =>
        (await host.Municipality(OrganisationServing(arrival.Details.MunicipalityCode)).DecideConsentAsync(new DecideConsentRequest
        {
            RequestId = NewRequestId(),
            ArrivalId = arrival.ArrivalId,
            Decision = decision,
            RefusalReason = reason,
        })).Arrival;

    /// <summary>Every notice about <paramref name="arrivalId"/>, by feed and sequence, with its body.</summary>
    public static async Task<List<(string Feed, string Type, Notice Notice)>> NoticesAboutAsync(this GatewayHost host, string arrivalId)
    {
        await using var db = host.Db();
        var rows = await db.Notices.AsNoTracking()
            .Where(n => n.Subject == arrivalId)
            .OrderBy(n => n.FeedId).ThenBy(n => n.Sequence)
            .ToListAsync();
        return [.. rows.Select(n => (n.FeedId, n.Type, Notice.Parser.ParseFrom(n.Body)))];
    }

    /// <summary>The types of the notices about <paramref name="arrivalId"/> on <paramref name="feed"/>, in sequence order.</summary>
    public static async Task<List<string>> NoticeTypesAsync(this GatewayHost host, string arrivalId, string feed) =>
        [.. (await host.NoticesAboutAsync(arrivalId)).Where(n => n.Feed == feed).Select(n => n.Type)];
}
