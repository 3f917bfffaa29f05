using ExchangeGateway.Contracts.V1;
using ExchangeGateway.Server.Arrivals;
using ExchangeGateway.Server.Audit;
using ExchangeGateway.Server.Identity;
using ExchangeGateway.Server.Storage;
using Microsoft.EntityFrameworkCore;

namespace ExchangeGateway.Server.Feed;

/// <summary>Makes acknowledgements durable, together with what they mean: a municipality's
/// acknowledgement of an announcement is "received by the municipality" for COA.</summary>
internal sealed class Acknowledgements(GatewayStore store)
{
    /// <summary>Acknowledges; with <paramref name="audit"/>, also records the delivery of the newly
    /// acknowledged notices (the recipient has durably taken their personal data in) in the audit log,
    /// in the same transaction.</summary>
    public Task<AcknowledgementsConfirmed> AcknowledgeAsync(Caller caller, string feed, IReadOnlyCollection<long> sequences, CancellationToken cancellationToken, AuditScope? audit = null) =>
        store.WriteAsync(caller, async write =>
        {
            var wanted = sequences.Distinct().ToList();
            var notices = await write.Db.Notices
                .Where(n => n.FeedId == feed && wanted.Contains(n.Sequence))
                .ToListAsync(write.CancellationToken);
            var fresh = notices.Where(n => n.AcknowledgedAt is null).ToList();
            foreach (var notice in fresh)
            {
                notice.AcknowledgedAt = write.Now;
            }
            if (audit is not null && fresh.Count > 0)
            {
                var subjects = new HashSet<(SubjectKind, string)>();
                foreach (var notice in fresh)
                {
                    AuditSubjects.Collect(Notice.Parser.ParseFrom(notice.Body), subjects, 0);
                }
                write.Db.AuditRecords.Add(audit.Record("OK", write.Now, subjects, deliveredAt: write.Now));
            }
            var announced = NoticeTypes.Of(Notice.PayloadOneofCase.ArrivalAnnounced);
            var receivedArrivals = fresh.Where(n => n.Type == announced).Select(n => n.Subject).Distinct().ToList();
            if (receivedArrivals.Count > 0 && feed.StartsWith("municipality:", StringComparison.Ordinal))
            {
                await MarkReceivedAsync(write, feed["municipality:".Length..], receivedArrivals);
            }
            var confirmed = new AcknowledgementsConfirmed();
            confirmed.Sequences.AddRange(notices.Select(n => (ulong)n.Sequence).Order());
            confirmed.UnknownSequences.AddRange(wanted.Except(notices.Select(n => n.Sequence)).Select(s => (ulong)s).Order());
            return confirmed;
        }, cancellationToken);

    private static async Task MarkReceivedAsync(WriteContext write, string municipalityCode, List<string> arrivalIds)
    {
        var arrivals = await write.Db.Arrivals
            .Where(a => arrivalIds.Contains(a.Id) && a.MunicipalityCode == municipalityCode)
            .ToListAsync(write.CancellationToken);
        foreach (var arrival in arrivals)
        {
            arrival.AcknowledgedAt ??= write.Now;
            if ((ArrivalState)arrival.State == ArrivalState.Announced)
            {
                arrival.State = (int)ArrivalState.Acknowledged;
            }
            ArrivalWrites.Record(write, arrival, "acknowledged", $"Municipality {municipalityCode} received the announcement.");
            write.Outbox.Add(FeedNames.Coa, arrival.Id, new Notice
            {
                AnnouncementReceived = new AnnouncementReceived
                {
                    ArrivalId = arrival.Id,
                    MunicipalityCode = municipalityCode,
                    ReceivedAt = write.NowTimestamp,
                    CaseReference = arrival.CaseReference,
                },
            });
        }
    }
}
