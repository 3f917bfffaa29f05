using ExchangeGateway.Server.Arrivals;
using Microsoft.EntityFrameworkCore;

namespace ExchangeGateway.Server.Storage;

/// <summary>The gateway's schema. Each storage provider derives its own context so that it can keep
/// its own migrations (see <see cref="SqliteGatewayDbContext"/>, <see cref="SqlServerGatewayDbContext"/>).</summary>
internal abstract class GatewayDbContext(DbContextOptions options) : DbContext(options)
{
    public DbSet<ArrivalEntity> Arrivals => Set<ArrivalEntity>();
    public DbSet<TravellerEntity> Travellers => Set<TravellerEntity>();
    public DbSet<BsnHolderEntity> BsnHolders => Set<BsnHolderEntity>();
    public DbSet<ArrivalHistoryEntity> ArrivalHistory => Set<ArrivalHistoryEntity>();
    public DbSet<FeedEntity> Feeds => Set<FeedEntity>();
    public DbSet<FeedLeaseEntity> FeedLeases => Set<FeedLeaseEntity>();
    public DbSet<FeedPresenceEntity> FeedPresence => Set<FeedPresenceEntity>();
    public DbSet<FeedLagSnapshotEntity> FeedLagSnapshots => Set<FeedLagSnapshotEntity>();
    public DbSet<NoticeEntity> Notices => Set<NoticeEntity>();
    public DbSet<IdempotencyEntity> IdempotencyRecords => Set<IdempotencyEntity>();
    public DbSet<EscalationEntity> Escalations => Set<EscalationEntity>();
    public DbSet<DeadlineEntity> Deadlines => Set<DeadlineEntity>();
    public DbSet<UnannouncedReportEntity> UnannouncedReports => Set<UnannouncedReportEntity>();
    public DbSet<UnannouncedPersonEntity> UnannouncedPersons => Set<UnannouncedPersonEntity>();
    public DbSet<AuditRecordEntity> AuditRecords => Set<AuditRecordEntity>();
    public DbSet<AuditSubjectEntity> AuditSubjects => Set<AuditSubjectEntity>();
    public DbSet<AuditDeliveryEntity> AuditDeliveries => Set<AuditDeliveryEntity>();

    public override async Task<int> SaveChangesAsync(bool acceptAllChangesOnSuccess, CancellationToken cancellationToken = default)
    {
        await ReleaseOpenVNumbersAsync(cancellationToken);
        return await base.SaveChangesAsync(acceptAllChangesOnSuccess, cancellationToken);
    }

    /// <summary>An arrival that closes (completed, cancelled, consent refused) frees its travellers'
    /// V-numbers for a new announcement. Here, where every tracked change is saved, so that no
    /// transition can forget it.</summary>
    private async Task ReleaseOpenVNumbersAsync(CancellationToken cancellationToken)
    {
        foreach (var entry in ChangeTracker.Entries<ArrivalEntity>().ToList())
        {
            if (entry.State != EntityState.Modified || !entry.Property(a => a.State).IsModified
                || ArrivalLifecycle.IsOpen(entry.Entity.State))
            {
                continue;
            }
            var travellers = entry.Collection(a => a.Travellers);
            if (!travellers.IsLoaded)
            {
                await travellers.LoadAsync(cancellationToken);
            }
            foreach (var traveller in entry.Entity.Travellers)
            {
                traveller.OpenVNumber = null;
            }
        }
    }

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<ArrivalEntity>(arrival =>
        {
            arrival.ToTable("Arrivals");
            arrival.HasKey(a => a.Id);
            arrival.Property(a => a.Id).HasMaxLength(36).IsUnicode(false);
            arrival.Property(a => a.CaseReference).HasMaxLength(64);
            arrival.Property(a => a.MunicipalityCode).HasMaxLength(4).IsUnicode(false);
            arrival.Property(a => a.AnnouncedBy).HasMaxLength(64);
            arrival.Property(a => a.CancellationReason).HasMaxLength(500);
            arrival.Property(a => a.ConsentRefusalReason).HasMaxLength(500);
            arrival.Property(a => a.Version).IsConcurrencyToken();
            arrival.HasIndex(a => new { a.MunicipalityCode, a.Id });
            arrival.HasIndex(a => a.CaseReference);
            // The overview counts by municipality and state.
            arrival.HasIndex(a => new { a.MunicipalityCode, a.State });
            // The dashboard's arrivals-per-day series reads a time range.
            arrival.HasIndex(a => a.AnnouncedAt);
            arrival.HasMany(a => a.Deadlines).WithOne().HasForeignKey(d => d.ArrivalId).OnDelete(DeleteBehavior.Cascade);
            arrival.HasMany(a => a.Travellers).WithOne().HasForeignKey(t => t.ArrivalId).OnDelete(DeleteBehavior.Cascade);
            arrival.HasMany(a => a.History).WithOne().HasForeignKey(h => h.ArrivalId).OnDelete(DeleteBehavior.Cascade);
            arrival.HasMany(a => a.Escalations).WithOne().HasForeignKey(e => e.ArrivalId).OnDelete(DeleteBehavior.Cascade);
        });

        modelBuilder.Entity<TravellerEntity>(traveller =>
        {
            traveller.ToTable("Travellers");
            traveller.HasKey(t => new { t.ArrivalId, t.VNumber });
            traveller.Property(t => t.ArrivalId).HasMaxLength(36).IsUnicode(false);
            traveller.Property(t => t.VNumber).HasMaxLength(10).IsUnicode(false);
            traveller.Property(t => t.OpenVNumber).HasMaxLength(10).IsUnicode(false);
            traveller.Property(t => t.Bsn).HasMaxLength(9).IsUnicode(false);
            traveller.Property(t => t.ANumber).HasMaxLength(10).IsUnicode(false);
            traveller.Property(t => t.RefusalReason).HasMaxLength(500);
            traveller.HasIndex(t => t.VNumber);
            traveller.HasIndex(t => t.OpenVNumber).IsUnique();
            traveller.HasIndex(t => t.Bsn);
        });

        modelBuilder.Entity<BsnHolderEntity>(holder =>
        {
            holder.ToTable("BsnHolders");
            holder.HasKey(h => h.Bsn);
            holder.Property(h => h.Bsn).HasMaxLength(9).IsUnicode(false);
            holder.Property(h => h.VNumber).HasMaxLength(10).IsUnicode(false);
        });

        modelBuilder.Entity<ArrivalHistoryEntity>(history =>
        {
            history.ToTable("ArrivalHistory");
            history.HasKey(h => h.Id);
            history.Property(h => h.ArrivalId).HasMaxLength(36).IsUnicode(false);
            history.Property(h => h.Actor).HasMaxLength(64);
            history.Property(h => h.Action).HasMaxLength(64);
            history.Property(h => h.Description).HasMaxLength(500);
            history.HasIndex(h => h.ArrivalId);
        });

        modelBuilder.Entity<FeedEntity>(feed =>
        {
            feed.ToTable("Feeds");
            feed.HasKey(f => f.Id);
            feed.Property(f => f.Id).HasMaxLength(32).IsUnicode(false);
        });

        modelBuilder.Entity<FeedLeaseEntity>(lease =>
        {
            lease.ToTable("FeedLeases");
            lease.HasKey(l => l.FeedId);
            lease.Property(l => l.FeedId).HasMaxLength(32).IsUnicode(false);
            lease.Property(l => l.InstanceId).HasMaxLength(36).IsUnicode(false);
        });

        modelBuilder.Entity<FeedPresenceEntity>(presence =>
        {
            presence.ToTable("FeedPresence");
            presence.HasKey(p => new { p.InstanceId, p.FeedId });
            presence.Property(p => p.InstanceId).HasMaxLength(36).IsUnicode(false);
            presence.Property(p => p.FeedId).HasMaxLength(32).IsUnicode(false);
            presence.HasIndex(p => p.FeedId);
        });

        modelBuilder.Entity<FeedLagSnapshotEntity>(snapshot =>
        {
            snapshot.ToTable("FeedLagSnapshots");
            // The series read a time range: the key leads with the time.
            snapshot.HasKey(s => new { s.TakenAt, s.FeedId });
            snapshot.Property(s => s.FeedId).HasMaxLength(32).IsUnicode(false);
            snapshot.HasIndex(s => new { s.FeedId, s.TakenAt });
        });

        modelBuilder.Entity<NoticeEntity>(notice =>
        {
            notice.ToTable("Notices");
            notice.HasKey(n => new { n.FeedId, n.Sequence });
            notice.Property(n => n.FeedId).HasMaxLength(32).IsUnicode(false);
            notice.Property(n => n.NoticeId).HasMaxLength(36).IsUnicode(false);
            notice.Property(n => n.Type).HasMaxLength(100).IsUnicode(false);
            notice.Property(n => n.Subject).HasMaxLength(36).IsUnicode(false);
            notice.Property(n => n.AuditSubjects).IsUnicode(false);
            notice.Property(n => n.ParkedReason).HasMaxLength(300);
            // Delivery reads "the unacknowledged notices of a feed in order"; a filtered index keeps
            // that read proportional to the backlog, not to the feed's history.
            notice.HasIndex(n => new { n.FeedId, n.Sequence })
                .HasDatabaseName("IX_Notices_Unacknowledged")
                .HasFilter(UnacknowledgedFilter);
            notice.HasIndex(n => n.NoticeId).IsUnique();
            // The deadline sweep reads "unacknowledged, not yet escalated, older than the deadline".
            notice.HasIndex(n => n.CreatedAt)
                .HasDatabaseName("IX_Notices_AwaitingEscalation")
                .HasFilter(AwaitingEscalationFilter);
        });

        modelBuilder.Entity<EscalationEntity>(escalation =>
        {
            escalation.ToTable("Escalations");
            escalation.HasKey(e => e.Id);
            escalation.Property(e => e.Id).HasMaxLength(36).IsUnicode(false);
            escalation.Property(e => e.ArrivalId).HasMaxLength(36).IsUnicode(false);
            escalation.Property(e => e.Description).HasMaxLength(500);
            escalation.Property(e => e.ResolutionNote).HasMaxLength(500);
            escalation.Property(e => e.ResolvedBy).HasMaxLength(64);
            escalation.HasIndex(e => e.ArrivalId);
            // The dashboard's series read raised and resolved escalations over a time range.
            escalation.HasIndex(e => e.RaisedAt);
            escalation.HasIndex(e => e.ResolvedAt);
        });

        modelBuilder.Entity<DeadlineEntity>(deadline =>
        {
            deadline.ToTable("Deadlines");
            deadline.HasKey(d => d.Id);
            deadline.Property(d => d.Id).HasMaxLength(36).IsUnicode(false);
            deadline.Property(d => d.ArrivalId).HasMaxLength(36).IsUnicode(false);
            deadline.HasIndex(d => new { d.ArrivalId, d.Kind });
            // The sweep reads "not fired, due by now" in due order.
            deadline.HasIndex(d => new { d.FiredAt, d.DueAt });
        });

        modelBuilder.Entity<UnannouncedReportEntity>(report =>
        {
            report.ToTable("UnannouncedReports");
            report.HasKey(r => r.Id);
            report.Property(r => r.Id).HasMaxLength(36).IsUnicode(false);
            report.Property(r => r.MunicipalityCode).HasMaxLength(4).IsUnicode(false);
            report.Property(r => r.ReportedBy).HasMaxLength(64);
            report.Property(r => r.Note).HasMaxLength(500);
            report.HasIndex(r => r.MunicipalityCode);
            report.HasIndex(r => r.ReportedAt);
            report.HasMany(r => r.Persons).WithOne().HasForeignKey(p => p.ReportId).OnDelete(DeleteBehavior.Cascade);
        });

        modelBuilder.Entity<UnannouncedPersonEntity>(person =>
        {
            person.ToTable("UnannouncedPersons");
            person.HasKey(p => new { p.ReportId, p.Position });
            person.Property(p => p.ReportId).HasMaxLength(36).IsUnicode(false);
            person.Property(p => p.VNumber).HasMaxLength(10).IsUnicode(false);
            person.Property(p => p.MatchedArrivalId).HasMaxLength(36).IsUnicode(false);
            person.Property(p => p.MatchedMunicipalityCode).HasMaxLength(4).IsUnicode(false);
            person.HasIndex(p => p.VNumber);
        });

        modelBuilder.Entity<AuditRecordEntity>(record =>
        {
            record.ToTable("AuditRecords");
            record.HasKey(r => r.Id);
            record.Property(r => r.TraceId).HasMaxLength(32).IsUnicode(false);
            record.Property(r => r.OperationId).HasMaxLength(16).IsUnicode(false);
            record.Property(r => r.ForeignOperationId).HasMaxLength(16).IsUnicode(false);
            record.Property(r => r.Operation).HasMaxLength(128).IsUnicode(false);
            record.Property(r => r.ProcessingActivity).HasMaxLength(100);
            record.Property(r => r.CallerOin).HasMaxLength(20).IsUnicode(false);
            record.Property(r => r.OrganisationId).HasMaxLength(64);
            record.Property(r => r.Outcome).HasMaxLength(32).IsUnicode(false);
            record.HasIndex(r => r.StartedAt);
            record.HasIndex(r => new { r.OrganisationId, r.StartedAt });
            record.HasIndex(r => r.TraceId);
            record.HasMany(r => r.Subjects).WithOne().HasForeignKey(s => s.RecordId).OnDelete(DeleteBehavior.Cascade);
            record.HasMany(r => r.Deliveries).WithOne().HasForeignKey(d => d.RecordId).OnDelete(DeleteBehavior.Cascade);
        });

        modelBuilder.Entity<AuditDeliveryEntity>(delivery =>
        {
            delivery.ToTable("AuditDeliveries");
            delivery.HasKey(d => new { d.RecordId, d.CauseRecordId });
            delivery.Property(d => d.Subjects).IsUnicode(false);
            delivery.HasIndex(d => d.CauseRecordId);
        });

        modelBuilder.Entity<AuditSubjectEntity>(subject =>
        {
            subject.ToTable("AuditSubjects");
            subject.HasKey(s => new { s.RecordId, s.Subject });
            subject.Property(s => s.Subject).HasMaxLength(64).IsUnicode(false);
            subject.HasIndex(s => s.Subject);
        });

        modelBuilder.Entity<IdempotencyEntity>(record =>
        {
            record.ToTable("IdempotencyRecords");
            record.HasKey(r => new { r.OrganisationId, r.RequestId });
            record.Property(r => r.OrganisationId).HasMaxLength(64);
            record.Property(r => r.RequestId).HasMaxLength(64);
            record.Property(r => r.Method).HasMaxLength(128).IsUnicode(false);
            record.HasIndex(r => r.ExpiresAt);
        });
    }

    /// <summary>The provider's SQL for "AcknowledgedAt IS NULL" (identifier quoting differs).</summary>
    protected abstract string UnacknowledgedFilter { get; }

    /// <summary>The provider's SQL for "AcknowledgedAt IS NULL AND EscalatedAt IS NULL".</summary>
    protected abstract string AwaitingEscalationFilter { get; }
}
