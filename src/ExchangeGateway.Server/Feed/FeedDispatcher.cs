using System.Threading.Channels;
using ExchangeGateway.Contracts.V1;
using ExchangeGateway.Server.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace ExchangeGateway.Server.Feed;

/// <summary>Delivers one feed's unacknowledged notices to the streams open on it.
///
/// It keeps a bounded window of the feed's unacknowledged notices in memory, loaded in sequence order
/// from the database (which is the truth: nothing here needs to survive a restart). It hands each
/// notice to one stream at a time, in sequence order, holding a notice back while an earlier notice
/// about the same arrival is outstanding. A notice not acknowledged within the redelivery timeout,
/// or whose stream closed, becomes eligible again for any stream. One loop per feed does the
/// database reads; the streams only enqueue.</summary>
internal sealed partial class FeedDispatcher : IAsyncDisposable
{
    private const int MinimumBuffer = 512;

    private readonly string _feed;
    private readonly GatewayDbContextFactory _contexts;
    private readonly TimeProvider _time;
    private readonly TimeSpan _redeliveryTimeout;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private readonly List<FeedStream> _streams = [];
    private readonly SortedDictionary<long, PendingNotice> _pending = [];
    private readonly HashSet<long> _acknowledgedAhead = [];

    // How often notices were sent before the buffer was dropped (nobody listening), so a subscriber
    // that reconnects gets them with the right redelivery_count.
    private readonly Dictionary<long, int> _deliveredBefore = [];
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly CancellationTokenSource _stopping = new();
    private readonly ITimer _redeliveryTimer;
    private readonly Task _loop;

    // Every unacknowledged notice with a sequence up to here is in _pending (or in flight to it).
    private long _loadedThrough;
    private bool _mayHaveMore = true;
    private long _commits;

    public FeedDispatcher(string feed, GatewayDbContextFactory contexts, TimeProvider time, TimeSpan redeliveryTimeout, ILogger logger)
    {
        _feed = feed;
        _contexts = contexts;
        _time = time;
        _redeliveryTimeout = redeliveryTimeout;
        _logger = logger;
        _redeliveryTimer = time.CreateTimer(_ => Wake(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        _loop = Task.Run(RunAsync);
    }

    public FeedStream Attach(int window, long fromSequence)
    {
        var stream = new FeedStream(window, fromSequence);
        lock (_gate)
        {
            _streams.Add(stream);
        }
        Wake();
        return stream;
    }

    public void Detach(FeedStream stream)
    {
        lock (_gate)
        {
            stream.Close();
            _streams.Remove(stream);
            foreach (var notice in _pending.Values.Where(n => n.Holder == stream))
            {
                notice.Holder = null;
            }
        }
        Wake();
    }

    /// <summary>New notices were committed on this feed.</summary>
    public void OnCommitted()
    {
        lock (_gate)
        {
            _commits++;
            _mayHaveMore = true;
        }
        Wake();
    }

    /// <summary>These sequences are now durably acknowledged (through any stream or instance).</summary>
    public void OnAcknowledged(IEnumerable<long> sequences, FeedStream? via)
    {
        lock (_gate)
        {
            foreach (var sequence in sequences)
            {
                if (_pending.Remove(sequence, out var notice))
                {
                    if (notice.Holder is { } holder)
                    {
                        holder.Outstanding--;
                    }
                }
                else if (sequence > _loadedThrough)
                {
                    _acknowledgedAhead.Add(sequence);
                }
                if (via is not null && via.Replayed.Remove(sequence))
                {
                    via.Outstanding--;
                }
            }
        }
        Wake();
    }

    private void Wake() => _wake.Writer.TryWrite(true);

    private async Task RunAsync()
    {
        var token = _stopping.Token;
        while (true)
        {
            try
            {
                if (!await _wake.Reader.WaitToReadAsync(token))
                {
                    return;
                }
                _wake.Reader.TryRead(out _);
                if (!HasStreams())
                {
                    continue;
                }
                await FillAsync(token);
                await ReplayAsync(token);
                Dispatch();
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                return;
            }
            catch (Exception exception)
            {
                // Storage trouble: the notices stay in the database; try again shortly.
                LogDispatchFailed(_logger, _feed, exception);
                _redeliveryTimer.Change(TimeSpan.FromSeconds(1), Timeout.InfiniteTimeSpan);
            }
        }
    }

    private bool HasStreams()
    {
        lock (_gate)
        {
            if (_streams.Count > 0)
            {
                return true;
            }
            // Nobody listens: forget the buffer, the database has it all. A later subscriber starts
            // from the database, which also picks up acknowledgements made through other instances.
            foreach (var notice in _pending.Values.Where(n => n.Deliveries > 0))
            {
                _deliveredBefore[notice.Sequence] = notice.Deliveries;
            }
            _pending.Clear();
            _acknowledgedAhead.Clear();
            _loadedThrough = 0;
            _mayHaveMore = true;
            return false;
        }
    }

    private async Task FillAsync(CancellationToken cancellationToken)
    {
        long after;
        int room;
        long commitsBefore;
        lock (_gate)
        {
            room = Math.Max(MinimumBuffer, 4 * _streams.Sum(s => s.Window)) - _pending.Count;
            if (!_mayHaveMore || room <= 0)
            {
                return;
            }
            after = _loadedThrough;
            commitsBefore = _commits;
        }
        await using var db = _contexts.CreateDbContext();
        var feed = _feed;
        var rows = await db.Notices.AsNoTracking()
            .Where(n => n.FeedId == feed && n.Sequence > after && n.AcknowledgedAt == null)
            .OrderBy(n => n.Sequence)
            .Take(room)
            .Select(n => new { n.Sequence, n.Body })
            .ToListAsync(cancellationToken);
        lock (_gate)
        {
            foreach (var row in rows)
            {
                if (row.Sequence <= _loadedThrough)
                {
                    continue;
                }
                _loadedThrough = row.Sequence;
                if (!_acknowledgedAhead.Remove(row.Sequence))
                {
                    _pending[row.Sequence] = new PendingNotice(row.Sequence, Notice.Parser.ParseFrom(row.Body))
                    {
                        Deliveries = _deliveredBefore.Remove(row.Sequence, out var deliveries) ? deliveries : 0,
                    };
                }
            }
            _acknowledgedAhead.RemoveWhere(s => s <= _loadedThrough);
            foreach (var acknowledged in _deliveredBefore.Keys.Where(s => s <= _loadedThrough).ToList())
            {
                _deliveredBefore.Remove(acknowledged);
            }
            _mayHaveMore = rows.Count == room || _commits != commitsBefore;
            if (_mayHaveMore)
            {
                Wake();
            }
        }
    }

    private async Task ReplayAsync(CancellationToken cancellationToken)
    {
        List<FeedStream> replaying;
        lock (_gate)
        {
            replaying = [.. _streams.Where(s => s.ReplayNext is not null && s.Room > 0)];
        }
        foreach (var stream in replaying)
        {
            long from;
            int room;
            lock (_gate)
            {
                from = stream.ReplayNext ?? 0;
                room = stream.Room;
            }
            if (room <= 0 || from == 0)
            {
                continue;
            }
            await using var db = _contexts.CreateDbContext();
            var feed = _feed;
            var rows = await db.Notices.AsNoTracking()
                .Where(n => n.FeedId == feed && n.Sequence >= from)
                .OrderBy(n => n.Sequence)
                .Take(room)
                .Select(n => new { n.Sequence, n.Subject, n.Body })
                .ToListAsync(cancellationToken);
            lock (_gate)
            {
                if (!stream.IsOpen)
                {
                    continue;
                }
                if (rows.Count == 0)
                {
                    // Caught up with the feed: from here on the stream takes part in live delivery.
                    stream.ReplayNext = null;
                    Wake();
                    continue;
                }
                var now = _time.GetUtcNow();
                foreach (var row in rows)
                {
                    if (stream.Replayed.Values.Any(r => r.Subject == row.Subject))
                    {
                        break; // an earlier notice about this arrival is not acknowledged yet
                    }
                    var notice = Notice.Parser.ParseFrom(row.Body);
                    notice.Sequence = (ulong)row.Sequence;
                    if (_pending.TryGetValue(row.Sequence, out var pending))
                    {
                        // Not acknowledged yet: this send counts as a delivery (live delivery leaves the
                        // notice alone while it is outstanding here, see Dispatch).
                        notice.RedeliveryCount = (uint)pending.Deliveries++;
                    }
                    stream.Replayed[row.Sequence] = (row.Subject, now);
                    stream.Outstanding++;
                    stream.ReplayNext = row.Sequence + 1;
                    stream.Send(new SubscribeResponse { Notice = notice });
                }
            }
            ScheduleRedelivery();
        }
    }

    private void Dispatch()
    {
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            ReleaseExpired(now);
            var live = _streams.Where(s => s.ReplayNext is null).ToList();
            if (live.Count > 0)
            {
                var blocked = new HashSet<string>(StringComparer.Ordinal);
                foreach (var notice in _pending.Values)
                {
                    if (!blocked.Add(notice.Subject) || notice.Holder is not null || IsReplayedOutstanding(notice.Sequence))
                    {
                        // Outstanding already (live or by replay), or an earlier notice about this arrival
                        // is unacknowledged.
                        continue;
                    }
                    var stream = StreamWithMostRoom(live);
                    if (stream is null)
                    {
                        break;
                    }
                    Send(notice, stream, now);
                }
            }
        }
        ScheduleRedelivery();
    }

    private bool IsReplayedOutstanding(long sequence) => _streams.Exists(s => s.Replayed.ContainsKey(sequence));

    private void ReleaseExpired(DateTimeOffset now)
    {
        foreach (var notice in _pending.Values)
        {
            if (notice.Holder is { } holder && now - notice.SentAt >= _redeliveryTimeout)
            {
                holder.Outstanding--;
                notice.Holder = null;
            }
        }
        foreach (var stream in _streams)
        {
            foreach (var (sequence, replayed) in stream.Replayed.Where(r => now - r.Value.SentAt >= _redeliveryTimeout).ToList())
            {
                stream.Replayed.Remove(sequence);
                stream.Outstanding--;
            }
        }
    }

    private static FeedStream? StreamWithMostRoom(List<FeedStream> streams)
    {
        FeedStream? best = null;
        foreach (var stream in streams)
        {
            if (stream.Room > 0 && (best is null || stream.Room > best.Room))
            {
                best = stream;
            }
        }
        return best;
    }

    private static void Send(PendingNotice pending, FeedStream stream, DateTimeOffset now)
    {
        var notice = pending.Notice.Clone();
        notice.Sequence = (ulong)pending.Sequence;
        notice.RedeliveryCount = (uint)pending.Deliveries;
        pending.Deliveries++;
        pending.Holder = stream;
        pending.SentAt = now;
        stream.Outstanding++;
        stream.Send(new SubscribeResponse { Notice = notice });
    }

    private void ScheduleRedelivery()
    {
        DateTimeOffset? earliest = null;
        lock (_gate)
        {
            foreach (var notice in _pending.Values)
            {
                if (notice.Holder is not null && (earliest is null || notice.SentAt < earliest))
                {
                    earliest = notice.SentAt;
                }
            }
            foreach (var replayed in _streams.SelectMany(s => s.Replayed.Values))
            {
                if (earliest is null || replayed.SentAt < earliest)
                {
                    earliest = replayed.SentAt;
                }
            }
        }
        var due = earliest is { } sentAt ? sentAt + _redeliveryTimeout - _time.GetUtcNow() : Timeout.InfiniteTimeSpan;
        _redeliveryTimer.Change(due < TimeSpan.Zero ? TimeSpan.Zero : due, Timeout.InfiniteTimeSpan);
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        _wake.Writer.TryComplete();
        await _loop;
        await _redeliveryTimer.DisposeAsync();
        _stopping.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Delivery on feed {Feed} failed; retrying shortly.")]
    private static partial void LogDispatchFailed(ILogger logger, string feed, Exception exception);

    private sealed class PendingNotice(long sequence, Notice notice)
    {
        public long Sequence { get; } = sequence;
        public Notice Notice { get; } = notice;
        public string Subject => Notice.Subject;
        public FeedStream? Holder { get; set; }
        public DateTimeOffset SentAt { get; set; }
        public int Deliveries { get; set; }
    }
}
