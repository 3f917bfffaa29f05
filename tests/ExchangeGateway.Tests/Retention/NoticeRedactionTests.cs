using ExchangeGateway.Contracts.V1;
using ExchangeGateway.Server.Retention;
using ExchangeGateway.Tests.Shared;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;

namespace ExchangeGateway.Tests.Retention;

public sealed class NoticeRedactionTests
{
    private static Notice Envelope(Notice notice)
    {
        notice.NoticeId = Guid.NewGuid().ToString();
        notice.Type = "nl.asielketen.test";
        notice.SpecVersion = "1.0";
        notice.Time = Timestamp.FromDateTime(new DateTime(2026, 11, 28, 12, 0, 0, DateTimeKind.Utc));
        notice.Source = "urn:nld:oin:00000099000000000000:systeem:coa";
        notice.Subject = Guid.NewGuid().ToString();
        return notice;
    }

    private static Notice Redact(Notice notice) => Notice.Parser.ParseFrom(NoticeRedaction.Redact(notice.ToByteArray()));

    [Fact]
    public void Redact_ArrivalAnnounced_KeepsEnvelopeAndIdsAndDropsDetails()
    {
        var original = Envelope(new Notice
        {
            ArrivalAnnounced = new ArrivalAnnounced { ArrivalId = "a-1", Details = TestArrivals.Family(), LateAnnouncement = true, Consent = ConsentStatus.Requested },
        });

        var redacted = Redact(original);

        Assert.Equal(original.NoticeId, redacted.NoticeId);
        Assert.Equal(original.Type, redacted.Type);
        Assert.Equal(original.Time, redacted.Time);
        Assert.Equal(original.Source, redacted.Source);
        Assert.Equal(original.Subject, redacted.Subject);
        Assert.Equal(Notice.PayloadOneofCase.ArrivalAnnounced, redacted.PayloadCase);
        Assert.Equal("a-1", redacted.ArrivalAnnounced.ArrivalId);
        Assert.Null(redacted.ArrivalAnnounced.Details);
        Assert.True(redacted.ArrivalAnnounced.LateAnnouncement);
        Assert.Equal(ConsentStatus.Requested, redacted.ArrivalAnnounced.Consent);
    }

    [Fact]
    public void Redact_BsnAssigned_DropsTravellers()
    {
        var assigned = new BsnAssigned { ArrivalId = "a-2", MunicipalityCode = "0363" };
        assigned.Travellers.Add(new TravellerStatus { VNumber = TestArrivals.NewVNumber(), Bsn = TestArrivals.NewBsn(), ANumber = "9376096018" });

        var redacted = Redact(Envelope(new Notice { BsnAssigned = assigned }));

        Assert.Equal("a-2", redacted.BsnAssigned.ArrivalId);
        Assert.Equal("0363", redacted.BsnAssigned.MunicipalityCode);
        Assert.Empty(redacted.BsnAssigned.Travellers);
    }

    [Fact]
    public void Redact_TextAndListsOfOtherPayloads_AreDropped()
    {
        var announced = new TravellersAnnounced { ArrivalId = "a-3", MunicipalityCode = "0344", Kind = ArrivalKind.FamilyReunification };
        announced.VNumbers.Add(TestArrivals.NewVNumber());
        var checkedIn = new TravellerCheckedIn
        {
            ArrivalId = "a-3",
            VNumber = TestArrivals.NewVNumber(),
            CheckedInAt = Timestamp.FromDateTime(new DateTime(2026, 11, 1, 0, 0, 0, DateTimeKind.Utc)),
        };
        var cancelled = new ArrivalCancelled { ArrivalId = "a-3", MunicipalityCode = "0344", Reason = "Mentions Jansen by name." };

        var redactedAnnounced = Redact(Envelope(new Notice { TravellersAnnounced = announced })).TravellersAnnounced;
        var redactedCheckIn = Redact(Envelope(new Notice { TravellerCheckedIn = checkedIn })).TravellerCheckedIn;
        var redactedCancel = Redact(Envelope(new Notice { ArrivalCancelled = cancelled })).ArrivalCancelled;

        Assert.Empty(redactedAnnounced.VNumbers);
        Assert.Equal(ArrivalKind.FamilyReunification, redactedAnnounced.Kind);
        Assert.Empty(redactedCheckIn.VNumber);
        Assert.Equal(checkedIn.CheckedInAt, redactedCheckIn.CheckedInAt);
        Assert.Empty(redactedCancel.Reason);
        Assert.Equal("0344", redactedCancel.MunicipalityCode);
    }

    [Fact]
    public void Redact_EscalationRaised_KeepsWhichNoticeWasOverdue()
    {
        var raised = new EscalationRaised
        {
            ArrivalId = "a-4",
            MunicipalityCode = "0014",
            OverdueFeed = "municipality:0014",
            OverdueSequence = 42,
            OverdueType = "nl.asielketen.aankomst-aangekondigd",
            Escalation = new Escalation { EscalationId = "e-1", Description = "Overdue." },
        };

        var redacted = Redact(Envelope(new Notice { EscalationRaised = raised })).EscalationRaised;

        Assert.Equal("municipality:0014", redacted.OverdueFeed);
        Assert.Equal(42UL, redacted.OverdueSequence);
        Assert.Equal(raised.OverdueType, redacted.OverdueType);
        Assert.Null(redacted.Escalation);
    }
}
