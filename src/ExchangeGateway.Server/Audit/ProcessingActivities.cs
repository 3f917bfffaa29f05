namespace ExchangeGateway.Server.Audit;

/// <summary>The processing activities (verwerkingsactiviteiten) of the register, by gRPC method. A
/// method missing here is audited under its own name, so nothing goes unlogged.</summary>
internal static class ProcessingActivities
{
    private static readonly Dictionary<string, string> ByMethod = new(StringComparer.Ordinal)
    {
        ["AnnounceArrival"] = "Aankondigen aankomst",
        ["AmendArrival"] = "Wijzigen aankondiging",
        ["CancelArrival"] = "Annuleren aankondiging",
        ["ReportDeparture"] = "Melden vertrek",
        ["ReportTravellersArrived"] = "Melden aankomst",
        ["GetArrival"] = "Raadplegen aankomst",
        ["ListArrivals"] = "Raadplegen aankomsten",
        ["ReportRegistration"] = "Melden inschrijving BRP",
        ["ReportBsnAssigned"] = "Melden toekenning BSN",
        ["DecideConsent"] = "Besluiten instemming gemeente",
        ["ReportUnannouncedArrival"] = "Melden onaangekondigde aankomst",
        ["LookupTraveller"] = "Raadplegen vreemdeling",
        ["ReportCheckIn"] = "Melden aanmelding IND",
        ["GetOverview"] = "Raadplegen landelijk overzicht",
        ["GetMunicipalityOverview"] = "Raadplegen gemeentelijk overzicht",
        ["ListOpenEscalations"] = "Raadplegen escalaties",
        ["ResolveEscalation"] = "Afhandelen escalatie",
        ["Subscribe"] = "Ontvangen notificaties",
        ["FetchNotices"] = "Ontvangen notificaties",
        ["AcknowledgeNotices"] = "Ontvangen notificaties",
        [AuditScope.WebhookOperation] = "Ontvangen notificaties",
        ["ListWebhookSubscriptions"] = "Beheren webhooks",
        ["RetryParkedNotices"] = "Beheren webhooks",
    };

    public static string Of(string method)
    {
        var name = method[(method.LastIndexOf('/') + 1)..];
        return ByMethod.GetValueOrDefault(name, name);
    }
}
