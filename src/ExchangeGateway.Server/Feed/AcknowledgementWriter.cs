using ExchangeGateway.Contracts.V1;
using ExchangeGateway.Server.Arrivals;
using ExchangeGateway.Server.Audit;
using ExchangeGateway.Server.Observability;
using Grpc.Core;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.Options;

namespace ExchangeGateway.Server.Feed;

/// <summary>Makes acknowledgements durable, with what they mean. Everything every stream acknowledged
/// since the last commit cycle is one unit of work in the group commit, written set-based: the notices
/// marked, the arrivals a municipality received ("aankondiging-ontvangen" to COA, history, version),
/// one audit record of delivery per stream with the data subjects stored with its notices. A stream
/// may keep acknowledging while a cycle commits; past a bound it waits for the commit (so memory per
/// stream stays bounded whatever its subscriber sends). Only after the commit are the acknowledgements
/// confirmed to the subscriber and taken in by the feed engine.</summary>
internal sealed class AcknowledgementWriter(GatewayStore store, AuditKey auditKey, GatewayMetrics metrics, IOptions<GatewayOptions> options)
{
    /// <summary>Sequences a stream may have waiting for the next cycle before it must wait.</summary>
    private const int PendingBound = 20_000;

    private const string Received = "acknowledged";

    private static readonly string Announced = NoticeTypes.Of(Notice.PayloadOneofCase.ArrivalAnnounced);

    private readonly Lock _gate = new();
    private readonly List<FeedSubscription> _waiting = [];
    private readonly Caller _gateway = Caller.Gateway(options.Value.GatewayOin);
    private bool _queued;

    /// <summary>Queues <paramref name="sequences"/> for the next cycle; completes at once unless the
    /// stream has too many waiting, then when they are committed.</summary>
    public ValueTask SubmitAsync(FeedSubscription subscription, IEnumerable<long> sequences, CancellationToken cancellationToken)
    {
        Task? wait = null;
        var queue = false;
        lock (_gate)
        {
            subscription.PendingAcknowledgements.AddRange(sequences);
            subscription.NextCommit ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            if (!subscription.Waiting)
            {
                subscription.Waiting = true;
                _waiting.Add(subscription);
            }
            if (!_queued)
            {
                _queued = queue = true;
            }
            if (subscription.PendingAcknowledgements.Count > PendingBound)
            {
                wait = subscription.NextCommit.Task;
            }
        }
        if (queue)
        {
            _ = CommitAsync();
        }
        return wait is null ? ValueTask.CompletedTask : new ValueTask(wait.WaitAsync(cancellationToken));
    }

    /// <summary>Completes when everything <paramref name="subscription"/> submitted is committed (or failed).</summary>
    public Task FlushAsync(FeedSubscription subscription)
    {
        lock (_gate)
        {
            return Task.WhenAll(new[] { subscription.NextCommit?.Task, subscription.InFlightCommit }.OfType<Task>());
        }
    }

    private async Task CommitAsync()
    {
        List<Taken>? taken = null;
        try
        {
            var results = await store.WriteAsync(_gateway, write =>
            {
                taken ??= Take(); // the same set again if the batch is retried
                return ExecuteAsync(write, taken);
            }, CancellationToken.None);
            foreach (var result in results)
            {
                var subscription = result.Taken.Subscription;
                subscription.Engine.Acknowledged(result.Confirmed, subscription);
                metrics.NoticesAcknowledged.Add(result.Confirmed.Length, GatewayMetrics.FeedKindTag(subscription.Engine.Feed));
                var confirmation = new AcknowledgementsConfirmed();
                confirmation.Sequences.AddRange(result.Confirmed.Select(s => (ulong)s));
                confirmation.UnknownSequences.AddRange(result.Unknown.Select(s => (ulong)s));
                subscription.Post(FeedMessage.ForEvent(new SubscribeResponse { Acknowledged = confirmation }));
                result.Taken.Done.TrySetResult();
            }
        }
        catch (Exception exception)
        {
            taken ??= Take();
            var reason = exception as RpcException
                ?? GatewayErrors.Unavailable("Acknowledgements could not be stored for now; reconnect and acknowledge again.");
            foreach (var entry in taken)
            {
                entry.Subscription.End(reason);
                entry.Done.TrySetResult();
            }
        }
    }

    /// <summary>Takes what every stream has waiting: from here on a new submission starts the next cycle.</summary>
    private List<Taken> Take()
    {
        lock (_gate)
        {
            _queued = false;
            var taken = new List<Taken>(_waiting.Count);
            foreach (var subscription in _waiting)
            {
                var done = subscription.NextCommit!;
                taken.Add(new Taken(subscription, [.. subscription.PendingAcknowledgements.Distinct()], done));
                subscription.PendingAcknowledgements.Clear();
                subscription.NextCommit = null;
                subscription.InFlightCommit = done.Task;
                subscription.Waiting = false;
            }
            _waiting.Clear();
            return taken;
        }
    }

    private async Task<List<Result>> ExecuteAsync(WriteContext write, List<Taken> taken)
    {
        var connection = write.Db.Database.GetDbConnection();
        var transaction = write.Db.Database.CurrentTransaction!.GetDbTransaction();
        var statements = write.Statements;
        var token = write.CancellationToken;
        var results = new List<Result>(taken.Count);
        var received = new List<HistoryRow>();
        foreach (var feed in taken.GroupBy(t => t.Subscription.Feed, StringComparer.Ordinal))
        {
            var asked = feed.SelectMany(t => t.Sequences).Distinct().ToArray();
            var marked = (await statements.AcknowledgeAsync(connection, transaction, feed.Key, asked, write.Now, token))
                .ToDictionary(r => r.Sequence);
            // Sequences have no holes: what was not just marked exists if it is at or below the head.
            var head = marked.Count == asked.Length ? 0 : await write.Db.Feeds.AsNoTracking()
                .Where(f => f.Id == feed.Key).Select(f => f.HeadSequence).FirstOrDefaultAsync(token);
            var claimed = new HashSet<long>();
            foreach (var entry in feed)
            {
                var fresh = entry.Sequences.Where(s => marked.ContainsKey(s) && claimed.Add(s)).Select(s => marked[s]).ToList();
                results.Add(new Result(entry,
                    [.. entry.Sequences.Where(s => marked.ContainsKey(s) || (s >= 1 && s <= head)).Order()],
                    [.. entry.Sequences.Where(s => !marked.ContainsKey(s) && (s < 1 || s > head)).Order()]));
                if (fresh.Count == 0)
                {
                    continue;
                }
                await RecordDeliveryAsync(write, entry.Subscription, fresh);
                if (feed.Key.StartsWith(FeedNames.MunicipalityPrefix, StringComparison.Ordinal))
                {
                    await MarkReceivedAsync(write, entry.Subscription, feed.Key[FeedNames.MunicipalityPrefix.Length..], fresh, received);
                }
            }
            if (marked.Count > 0 && !feed.First().Subscription.Engine.Active)
            {
                // This instance does not deliver the feed: the one that does must learn of it.
                await statements.RaiseRevisionAsync(connection, transaction, [feed.Key], token);
                await statements.SignalAsync(connection, transaction, [.. FeedSignal.About(FeedSignalKind.Acknowledged, feed.Key, marked.Keys)], token);
            }
        }
        if (received.Count > 0)
        {
            await statements.InsertHistoryAsync(connection, transaction, received, token);
        }
        return results;
    }

    /// <summary>The recipient has durably taken these notices in: one audit record of the delivery for
    /// the stream. A notice caused by a recorded call is delivered as a link to that record with the
    /// notice's own subjects (the record's subjects are already in the searchable index); one the gateway
    /// raised by itself lists its subjects as any record does.</summary>
    private async Task RecordDeliveryAsync(WriteContext write, FeedSubscription subscription, List<AcknowledgedRow> fresh)
    {
        if (subscription.Audit is not { } audit)
        {
            return;
        }
        var direct = new HashSet<string>(StringComparer.Ordinal);
        var byCause = new Dictionary<long, HashSet<string>>();
        foreach (var row in fresh)
        {
            var keys = row.AuditSubjects?.Split(' ', StringSplitOptions.RemoveEmptyEntries)
                // Stored before the subjects were kept with the notice.
                ?? [.. AuditSubjects.Of(Notice.Parser.ParseFrom(row.LegacyBody ?? [])).Select(s => auditKey.Protect(s.Kind, s.Identifier))];
            if (keys.Length == 0)
            {
                continue;
            }
            if (row.CauseRecordId is { } cause)
            {
                if (!byCause.TryGetValue(cause, out var set))
                {
                    byCause[cause] = set = new HashSet<string>(StringComparer.Ordinal);
                }
                set.UnionWith(keys);
            }
            else
            {
                direct.UnionWith(keys);
            }
        }
        var deliveries = byCause.Select(c => new DeliveredCause(c.Key, string.Join(' ', c.Value))).ToList();
        await write.Statements.InsertAuditRecordAsync(write.Db.Database.GetDbConnection(), write.Db.Database.CurrentTransaction!.GetDbTransaction(),
            audit.Delivery(write.Now), direct, deliveries, write.CancellationToken);
    }

    /// <summary>A municipality's acknowledgement of an announcement is "received by the municipality" for COA.</summary>
    private static async Task MarkReceivedAsync(WriteContext write, FeedSubscription subscription, string municipalityCode, List<AcknowledgedRow> fresh, List<HistoryRow> history)
    {
        var announced = fresh.Where(r => r.Type == Announced).Select(r => r.Subject).Distinct().ToArray();
        if (announced.Length == 0)
        {
            return;
        }
        var arrivals = await write.Statements.MarkReceivedAsync(write.Db.Database.GetDbConnection(), write.Db.Database.CurrentTransaction!.GetDbTransaction(),
            municipalityCode, announced, write.Now, (int)ArrivalState.Announced, (int)ArrivalState.Acknowledged, write.CancellationToken);
        var organisation = subscription.Caller.Organisation.Id;
        var description = $"Municipality {municipalityCode} received the announcement.";
        foreach (var (arrivalId, caseReference) in arrivals)
        {
            history.Add(new HistoryRow(arrivalId, write.Now, organisation, Received, description));
            ArrivalNotices.Tell(write, arrivalId, municipalityCode, new Notice
            {
                AnnouncementReceived = new AnnouncementReceived
                {
                    ArrivalId = arrivalId,
                    MunicipalityCode = municipalityCode,
                    ReceivedAt = write.NowTimestamp,
                    CaseReference = caseReference,
                },
            }, subscription.Caller.Source);
        }
    }

    private sealed record Taken(FeedSubscription Subscription, long[] Sequences, TaskCompletionSource Done);

    private sealed record Result(Taken Taken, long[] Confirmed, long[] Unknown);
}
