using ExchangeGateway.Server.Storage;
using Microsoft.EntityFrameworkCore;

namespace ExchangeGateway.Server.Audit;

/// <summary>Searches the audit log by data subject (a BSN or V-number, protected with the audit key
/// before it is looked up), by organisation or OIN, and by time. Newest first.</summary>
internal sealed record AuditQuery(string? Subject = null, string? Caller = null, DateTime? From = null, DateTime? To = null, int Limit = 100)
{
    public async Task<IReadOnlyList<AuditRecordEntity>> RunAsync(GatewayDbContext db, AuditKey key, CancellationToken cancellationToken)
    {
        var records = db.AuditRecords.AsNoTracking().Include(r => r.Subjects).AsQueryable();
        if (Subject is { Length: > 0 })
        {
            var protectedForms = key.ProtectAny(Subject);
            records = records.Where(r => r.Subjects.Any(s => protectedForms.Contains(s.Subject)));
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
