using Microsoft.EntityFrameworkCore;

namespace ExchangeGateway.Server.Audit;

/// <summary>Searches the audit log by data subject (a BSN or V-number, protected with the audit key
/// before it is looked up), by organisation or OIN, and by time. Newest first. A delivery is found by
/// person through the record of the call that caused what it delivered (see <see cref="AuditDeliveryEntity"/>).</summary>
internal sealed record AuditQuery(string? Subject = null, string? Caller = null, DateTime? From = null, DateTime? To = null, int Limit = 100)
{
    public async Task<IReadOnlyList<AuditRecordEntity>> RunAsync(GatewayDbContext db, AuditKey key, CancellationToken cancellationToken)
    {
        var records = db.AuditRecords.AsNoTracking().Include(r => r.Subjects).Include(r => r.Deliveries).AsSplitQuery().AsQueryable();
        if (Subject is { Length: > 0 })
        {
            var forms = key.ProtectAny(Subject);
            var concerning = await db.AuditSubjects.AsNoTracking().Where(s => forms.Contains(s.Subject)).Select(s => s.RecordId).Distinct().ToListAsync(cancellationToken);
            // Deliveries linked to those records, kept only where the delivered notices name the person.
            var delivered = (await db.AuditDeliveries.AsNoTracking().Where(d => concerning.Contains(d.CauseRecordId)).ToListAsync(cancellationToken))
                .Where(d => d.Subjects.Split(' ').Any(forms.Contains)).Select(d => d.RecordId).ToList();
            var ids = concerning.Concat(delivered).ToList();
            records = records.Where(r => ids.Contains(r.Id));
        }
        if (Caller is { Length: > 0 })
        {
            records = records.Where(r => r.OrganisationId == Caller || r.CallerOin == Caller);
        }
        if (From is { } from)
        {
            records = records.Where(r => r.StartedAt >= from);
        }
        if (To is { } to)
        {
            records = records.Where(r => r.StartedAt < to);
        }
        return await records.OrderByDescending(r => r.Id).Take(Math.Clamp(Limit, 1, 10_000)).ToListAsync(cancellationToken);
    }
}
