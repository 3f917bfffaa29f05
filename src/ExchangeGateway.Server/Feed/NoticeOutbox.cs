using System.Data.Common;
using ExchangeGateway.Contracts.V1;
using ExchangeGateway.Server.Audit;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;

namespace ExchangeGateway.Server.Feed;

/// <summary>A notice committed on a feed, as the writer hands it to the feed engine after the commit:
/// the bytes it was stored with, so live delivery reads nothing from the database; its type, and for an
/// escalation raised or resolved its kind, for the metrics.</summary>
internal readonly record struct CommittedNotice(string Feed, long Sequence, string Subject, byte[] Body, string Type, EscalationKind? EscalationKind);

/// <summary>Collects the notices a unit of work causes and writes them in its transaction.
///
/// Each notice is serialized once, here, and stored with the data subjects it concerns as the audit
/// log keeps them (keyed hashes), so recording its delivery later reads no body.
///
/// Sequences are handed out by raising the feed row's head inside the writing transaction. That
/// row stays locked until commit, so a second writer to the same feed waits, and a feed's
/// sequences become visible strictly in order: a reader that has seen sequence N has seen every
/// sequence below it, and "everything after N" never skips a row that commits late (the outbox
/// gap). A rolled-back transaction releases its numbers to the next writer, so there are no holes.
/// Feeds are locked in name order, so two writers never wait on each other in a cycle.</summary>
internal sealed class NoticeOutbox(string source, DateTime now, AuditKey auditKey)
{
    private readonly List<Pending> _pending = [];
    private Dictionary<(SubjectKind, string), string>? _keys;

    /// <summary>The audit record of the call whose change causes these notices (set when the call is
    /// recorded in the same transaction); their deliveries are recorded as links to it.</summary>
    public AuditRecordEntity? Cause { get; set; }

    /// <summary>The feeds that get a notice when this unit of work commits.</summary>
    public IReadOnlyCollection<string> Feeds => [.. _pending.Select(p => p.Feed).Distinct()];

    /// <summary>Adds a notice about <paramref name="subject"/> (an arrival id) to <paramref name="feed"/>.
    /// <paramref name="notice"/> carries only its payload; the envelope is filled in here. A notice the
    /// gateway raises on someone's behalf names them in <paramref name="causedBy"/> (its source).</summary>
    public void Add(string feed, string subject, Notice notice, string? causedBy = null)
    {
        notice.NoticeId = Guid.CreateVersion7().ToString();
        notice.Type = NoticeTypes.Of(notice.PayloadCase);
        notice.SpecVersion = NoticeTypes.SpecVersion;
        notice.Time = Timestamp.FromDateTime(now);
        notice.Source = causedBy ?? source;
        notice.Subject = subject;
        var keys = string.Join(' ', AuditSubjects.Of(notice).Select(Protect).Distinct(StringComparer.Ordinal));
        var escalation = notice.PayloadCase switch
        {
            Notice.PayloadOneofCase.EscalationRaised => notice.EscalationRaised.Escalation.Kind,
            Notice.PayloadOneofCase.EscalationResolved => notice.EscalationResolved.Escalation.Kind,
            _ => (EscalationKind?)null,
        };
        _pending.Add(new Pending(feed, notice.NoticeId, notice.Type, subject, notice.ToByteArray(), keys, now, escalation));
    }

    // The notices of one change concern the same people: each keyed hash is computed once per change.
    private string Protect((SubjectKind Kind, string Identifier) subject)
    {
        _keys ??= [];
        if (!_keys.TryGetValue(subject, out var key))
        {
            key = auditKey.Protect(subject.Kind, subject.Identifier);
            _keys[subject] = key;
        }
        return key;
    }

    /// <summary>The data subjects of <paramref name="notice"/> as the audit log stores them, space-separated.</summary>
    public static string AuditKeysOf(Notice notice, AuditKey auditKey) =>
        string.Join(' ', AuditSubjects.Of(notice).Select(s => auditKey.Protect(s.Kind, s.Identifier)).Distinct(StringComparer.Ordinal));

    /// <summary>Sequences and stores the notices of every outbox of one transaction, one head update
    /// per feed however many units of work the transaction holds; returns them for the feed engines.</summary>
    public static async Task<List<CommittedNotice>> WriteAsync(DbConnection connection, DbTransaction transaction, StorageStatements statements,
        IReadOnlyCollection<NoticeOutbox> outboxes, CancellationToken cancellationToken)
    {
        var committed = new List<CommittedNotice>();
        var rows = new List<NoticeRow>();
        // The causes' ids exist now: each unit's changes (its audit record among them) are saved.
        var pending = outboxes.SelectMany(o => o._pending.Select(p => (Notice: p, Cause: o.Cause?.Id)));
        foreach (var group in pending.GroupBy(p => p.Notice.Feed).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var notices = group.ToList();
            var head = await statements.RaiseHeadAsync(connection, transaction, group.Key, notices.Count, cancellationToken);
            var sequence = head - notices.Count;
            foreach (var (notice, cause) in notices)
            {
                sequence++;
                rows.Add(new NoticeRow(notice.Feed, sequence, notice.NoticeId, notice.Type, notice.Subject, notice.CreatedAt, notice.Body, notice.AuditSubjects, cause));
                committed.Add(new CommittedNotice(notice.Feed, sequence, notice.Subject, notice.Body, notice.Type, notice.Escalation));
            }
        }
        if (rows.Count > 0)
        {
            await statements.InsertNoticesAsync(connection, transaction, rows, cancellationToken);
        }
        return committed;
    }

    private sealed record Pending(string Feed, string NoticeId, string Type, string Subject, byte[] Body, string AuditSubjects, DateTime CreatedAt, EscalationKind? Escalation);
}
