using ExchangeGateway.Contracts.V1;
using ExchangeGateway.Server.Storage;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Microsoft.EntityFrameworkCore;

namespace ExchangeGateway.Server.Feed;

/// <summary>Collects the notices a unit of work causes and writes them in its transaction.
///
/// Sequences are handed out by raising the feed row's head inside the writing transaction. That
/// row stays locked until commit, so a second writer to the same feed waits, and a feed's
/// sequences become visible strictly in order: a reader that has seen sequence N has seen every
/// sequence below it, and "everything after N" never skips a row that commits late (the outbox
/// gap). A rolled-back transaction releases its numbers to the next writer, so there are no holes.
/// Feeds are locked in name order, so two writers never wait on each other in a cycle.</summary>
internal sealed class NoticeOutbox(string source, DateTime now)
{
    private readonly DateTime _now = now;
    private readonly List<(string Feed, Notice Notice)> _pending = [];

    /// <summary>The feeds that get a notice when this unit of work commits.</summary>
    public IReadOnlyCollection<string> Feeds => [.. _pending.Select(p => p.Feed).Distinct()];

    /// <summary>Adds a notice about <paramref name="subject"/> (an arrival id) to <paramref name="feed"/>.
    /// <paramref name="notice"/> carries only its payload; the envelope is filled in here.</summary>
    public void Add(string feed, string subject, Notice notice)
    {
        notice.NoticeId = Guid.CreateVersion7().ToString();
        notice.Type = NoticeTypes.Of(notice.PayloadCase);
        notice.SpecVersion = NoticeTypes.SpecVersion;
        notice.Time = Timestamp.FromDateTime(_now);
        notice.Source = source;
        notice.Subject = subject;
        _pending.Add((feed, notice));
    }

    /// <summary>Sequences and stores the notices of every outbox of one transaction, one feed row
    /// update per feed however many units of work the transaction holds.</summary>
    public static async Task AssignSequencesAsync(GatewayDbContext db, IReadOnlyCollection<NoticeOutbox> outboxes, CancellationToken cancellationToken)
    {
        var all = outboxes.SelectMany(o => o._pending.Select(p => (p.Feed, p.Notice, o._now)));
        foreach (var group in all.GroupBy(p => p.Feed).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var feed = group.Key;
            var count = group.Count();
            var updated = await db.Feeds.Where(f => f.Id == feed)
                .ExecuteUpdateAsync(s => s.SetProperty(f => f.HeadSequence, f => f.HeadSequence + count), cancellationToken);
            if (updated == 0)
            {
                // A feed is created by its first notice; a concurrent creator makes this insert fail
                // with a unique violation, and the whole transaction is retried.
                db.Feeds.Add(new FeedEntity { Id = feed, HeadSequence = count });
                await db.SaveChangesAsync(cancellationToken);
            }
            var head = await db.Feeds.Where(f => f.Id == feed).Select(f => f.HeadSequence).SingleAsync(cancellationToken);
            var sequence = head - count;
            foreach (var (_, notice, createdAt) in group)
            {
                db.Notices.Add(new NoticeEntity
                {
                    FeedId = feed,
                    Sequence = ++sequence,
                    NoticeId = notice.NoticeId,
                    Type = notice.Type,
                    Subject = notice.Subject,
                    CreatedAt = createdAt,
                    Body = notice.ToByteArray(),
                });
            }
        }
    }
}
