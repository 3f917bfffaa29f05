using ExchangeGateway.Contracts.V1;

namespace ExchangeGateway.Server.Feed;

/// <summary>Notice types in NL GOV CloudEvents style (reverse DNS), one per payload case.</summary>
internal static class NoticeTypes
{
    public const string SpecVersion = "1.0";

    /// <summary>Escalations are never escalated themselves.</summary>
    public const string Escalation = "nl.asielketen.escalatie";

    /// <summary>Nor are their resolutions (an overdue resolution escalating would loop).</summary>
    public const string EscalationResolved = "nl.asielketen.escalatie-opgelost";

    public static string Of(Notice.PayloadOneofCase payload) => payload switch
    {
        Notice.PayloadOneofCase.ArrivalAnnounced => "nl.asielketen.aankomst-aangekondigd",
        Notice.PayloadOneofCase.ArrivalAmended => "nl.asielketen.aankomst-gewijzigd",
        Notice.PayloadOneofCase.ArrivalCancelled => "nl.asielketen.aankomst-geannuleerd",
        Notice.PayloadOneofCase.TravellersDeparted => "nl.asielketen.vertrek-gemeld",
        Notice.PayloadOneofCase.TravellersArrived => "nl.asielketen.aankomst-gemeld",
        Notice.PayloadOneofCase.AnnouncementReceived => "nl.asielketen.aankondiging-ontvangen",
        Notice.PayloadOneofCase.RegistrationReported => "nl.asielketen.inschrijving-gemeld",
        Notice.PayloadOneofCase.BsnAssigned => "nl.asielketen.bsn-toegekend",
        Notice.PayloadOneofCase.TravellersAnnounced => "nl.asielketen.vreemdelingen-aangekondigd",
        Notice.PayloadOneofCase.EscalationRaised => Escalation,
        Notice.PayloadOneofCase.ConsentRequested => "nl.asielketen.instemming-gevraagd",
        Notice.PayloadOneofCase.ConsentDecided => "nl.asielketen.instemming-besloten",
        Notice.PayloadOneofCase.TravellerCheckedIn => "nl.asielketen.ind-gemeld",
        Notice.PayloadOneofCase.UnannouncedArrivalReported => "nl.asielketen.onaangekondigde-aankomst",
        Notice.PayloadOneofCase.EscalationResolved => EscalationResolved,
        _ => throw new ArgumentOutOfRangeException(nameof(payload), payload, "Notice has no payload."),
    };
}
