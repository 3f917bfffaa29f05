namespace ExchangeGateway.Server.Feed.Engine;

/// <summary>What the feed core needs to know that does not change while it runs.</summary>
internal sealed record FeedCoreSettings(TimeSpan RedeliveryTimeout, int MinimumRegion = 1024, int ReplayPage = 256);

/// <summary>A committed notice handed to the core: by the local writer right after its commit (with
/// the stored body), or read from the database.</summary>
internal readonly record struct StoredNotice(long Sequence, string Subject, byte[] Body);

/// <summary>A read the core asks its driver for: the unacknowledged notices after <see cref="After"/>,
/// at most <see cref="Limit"/>, and the feed's head at the time.</summary>
internal readonly record struct RegionLoad(long After, int Limit, int Generation);

/// <summary>A read for a replaying stream: every notice from <see cref="From"/> to <see cref="To"/>.</summary>
internal readonly record struct ReplayLoad(FeedCoreStream Stream, long From, long To, int Generation);

/// <summary>The delivery of one feed in one gateway instance, as one deterministic state machine. It
/// does no I/O and reads no clock: its driver (<c>FeedEngine</c>) calls it under a lock with
/// the time, performs the reads it asks for and wakes the streams it names. The model test drives it
/// directly with seeded random schedules.
///
/// It holds the <b>region</b>: every unacknowledged notice of the feed up to <see cref="LoadedThrough"/>,
/// loaded once from the database and then appended to by the local writer after each commit (so live
/// delivery reads nothing), with per subject the chain of its notices in sequence order. A notice may
/// go out only when it is the first unacknowledged one of its subject (per-arrival order) and nobody
/// holds it (outstanding on at most one stream). Free first-of-subject notices wait in a heap by
/// sequence; each event moves only what it changed. Each send is timed in a FIFO (the timeout is
/// the same for all); one that times out while still queued is withdrawn before it is offered
/// elsewhere, so a stream that does not read holds at most its window in memory.</summary>
internal sealed partial class FeedCore(FeedCoreSettings settings)
{
    private readonly Dictionary<long, FeedEntry> _region = [];
    private readonly Dictionary<string, SubjectChain> _subjects = new(StringComparer.Ordinal);
    private readonly PriorityQueue<FeedEntry, long> _eligible = new();
    private readonly Queue<(DateTimeOffset Due, FeedEntry Entry, int Assignment)> _timers = new();
    private readonly List<FeedCoreStream> _streams = [];
    private readonly HashSet<FeedCoreStream> _woken = [];
    private readonly List<ReplayLoad> _replayLoads = [];
    private readonly List<FeedEntry> _skipped = [];
    private readonly List<FeedCoreStream> _endedLeases = [];
    private readonly HashSet<long> _acknowledgedDuringLoad = [];
    // Notices redacted while a read was out: the read may bring them back as they were.
    private readonly HashSet<long> _erasedDuringLoad = [];

    // How often notices were written before the region was dropped (nobody listening), so a subscriber
    // that comes back gets them with the right redelivery_count.
    private readonly Dictionary<long, int> _sentBefore = [];

    private bool _regionValid;
    private int _regionGeneration;
    private bool _loadStale;
    private bool _regionLoading;
    private RegionLoad? _regionLoadToStart;

    /// <summary>This instance delivers the feed (on a shared database: it holds the feed's lease).</summary>
    public bool Active { get; private set; }

    /// <summary>The highest sequence known to be committed on the feed.</summary>
    public long KnownHead { get; private set; }

    /// <summary>Every unacknowledged notice up to here is in the region.</summary>
    public long LoadedThrough { get; private set; }

    public int RegionCount => _region.Count;

    public IReadOnlyList<FeedCoreStream> Streams => _streams;

    /// <summary>Reads of the database this core asked for (region and replay), for the counters.</summary>
    public long Loads { get; private set; }

    public TimeSpan RedeliveryTimeout => settings.RedeliveryTimeout;

    private int RegionCapacity => Math.Max(settings.MinimumRegion, 4 * _streams.Sum(s => s.Window));

    // ---- Streams ----

    public FeedCoreStream Attach(long id, int window, long fromSequence, DateTimeOffset now)
    {
        var stream = new FeedCoreStream(id, window, fromSequence);
        _streams.Add(stream);
        Pump(now);
        return stream;
    }

    public void Detach(FeedCoreStream stream, DateTimeOffset now)
    {
        if (!stream.IsOpen)
        {
            return;
        }
        stream.IsOpen = false;
        _streams.Remove(stream);
        _woken.Remove(stream);
        foreach (var entry in FreeAll(stream))
        {
            MakeEligible(entry);
        }
        stream.Buffer.Clear();
        if (_streams.Count == 0)
        {
            DropRegion();
            return;
        }
        Pump(now);
    }

    /// <summary>A pull lease: its fetch has answered with what it took. The stream takes nothing more,
    /// what is queued for it but was not taken goes back to the pool, and what it took stays outstanding
    /// on it, for no other stream or lease, until acknowledged or timed out; then it detaches by itself
    /// (<see cref="TakeEndedLeases"/>).</summary>
    public void Seal(FeedCoreStream stream, DateTimeOffset now)
    {
        if (!stream.IsOpen || stream.Sealed)
        {
            return;
        }
        stream.Sealed = true;
        foreach (var entry in stream.Held.Where(e => e.Current!.Node is not null).ToList())
        {
            Release(entry, withdraw: true);
            MakeEligible(entry);
        }
        Pump(now);
    }

    /// <summary>Sealed leases that hold nothing any more, detached since the last call.</summary>
    public void TakeEndedLeases(List<FeedCoreStream> into)
    {
        into.AddRange(_endedLeases);
        _endedLeases.Clear();
    }

    /// <summary>Detaches the sealed leases that hold nothing any more. The region stays (unlike when the
    /// last stream detaches): a pull consumer's next fetch finds it loaded and answers at once.</summary>
    private void DetachEndedLeases()
    {
        for (var i = _streams.Count - 1; i >= 0; i--)
        {
            var stream = _streams[i];
            if (stream.Sealed && stream.Held.Count == 0 && stream.Writing is null && stream.Queue.Count == 0)
            {
                stream.IsOpen = false;
                _streams.RemoveAt(i);
                _woken.Remove(stream);
                _endedLeases.Add(stream);
            }
        }
    }

    /// <summary>Whether what this instance can deliver now is known: the region is loaded, or the feed
    /// is delivered elsewhere. A fetch that may not wait answers once this holds.</summary>
    public bool Settled => !Active || HandingOver || (_regionValid && !_regionLoading);

    /// <summary>The next message for <paramref name="stream"/>'s writer, or null when nothing is queued.
    /// The writer calls <see cref="Written"/> once it is written.</summary>
    public static FeedMessage? TakeNext(FeedCoreStream stream)
    {
        if (stream.Writing is not null || stream.Queue.First is not { } node)
        {
            return null;
        }
        var item = node.Value;
        stream.Queue.RemoveFirst();
        item.Node = null;
        stream.Writing = item;
        var entry = item.Entry;
        if (item.History)
        {
            return FeedMessage.ForNotice(entry.Body, entry.Sequence, 0);
        }
        return FeedMessage.ForNotice(entry.Body, entry.Sequence, (uint)entry.Sent++);
    }

    /// <summary>The writer has written what it took.</summary>
    public void Written(FeedCoreStream stream, DateTimeOffset now)
    {
        if (stream.Writing is not { } item)
        {
            return;
        }
        stream.Writing = null;
        item.Written = true;
        if (item.Released)
        {
            stream.Slots--;
        }
        if (stream.IsOpen)
        {
            Pump(now);
        }
    }

    // ---- Commits, acknowledgements, erasure ----

    /// <summary>The local writer committed these notices (ascending sequences of this feed).</summary>
    public void Committed(IReadOnlyList<StoredNotice> notices, DateTimeOffset now)
    {
        foreach (var notice in notices)
        {
            if (Active && _regionValid && !_regionLoading && LoadedThrough == KnownHead
                && notice.Sequence == LoadedThrough + 1 && _region.Count < RegionCapacity)
            {
                AddToRegion(new FeedEntry(notice.Sequence, notice.Subject, notice.Body));
                LoadedThrough = notice.Sequence;
            }
            KnownHead = Math.Max(KnownHead, notice.Sequence);
        }
        Pump(now);
    }

    /// <summary>Another instance committed up to <paramref name="head"/> (a notification or the head poll).</summary>
    public void HeadMoved(long head, DateTimeOffset now)
    {
        if (head <= KnownHead)
        {
            return;
        }
        KnownHead = head;
        Pump(now);
    }

    /// <summary>These sequences are durably acknowledged; <paramref name="via"/> is the stream whose
    /// subscriber acknowledged them (null: another instance, or a stream no longer open).</summary>
    public void Acknowledged(IEnumerable<long> sequences, FeedCoreStream? via, DateTimeOffset now)
    {
        if (via is { IsOpen: true })
        {
            via.LastAcknowledgedAt = now;
            via.Suspect = false;
        }
        foreach (var sequence in sequences)
        {
            if (_region.Remove(sequence, out var entry))
            {
                if (entry.Holder is not null)
                {
                    Release(entry, withdraw: false);
                }
                entry.InRegion = false;
                entry.Acknowledged = true;
                RemoveFromChain(entry);
            }
            else if (_regionLoading && sequence > LoadedThrough)
            {
                _acknowledgedDuringLoad.Add(sequence);
            }
        }
        Pump(now);
    }

    /// <summary>Retention redacted these stored notices: so must the cached ones be, or a redelivery
    /// would send what was erased.</summary>
    public void Redacted(IReadOnlyCollection<long> sequences)
    {
        var readsOut = _regionLoading || _streams.Exists(s => s.ReplayLoading);
        foreach (var sequence in sequences)
        {
            if (_region.TryGetValue(sequence, out var entry))
            {
                Redact(entry);
            }
            if (readsOut)
            {
                _erasedDuringLoad.Add(sequence); // a read out now may bring the notice back unredacted
            }
        }
        // Acknowledged notices are out of the region but may still be queued, or owed to a replay.
        var set = sequences as IReadOnlySet<long> ?? sequences.ToHashSet();
        foreach (var stream in _streams)
        {
            foreach (var item in stream.Queue)
            {
                if (set.Contains(item.Entry.Sequence))
                {
                    Redact(item.Entry);
                }
            }
            foreach (var entry in stream.Buffer)
            {
                if (set.Contains(entry.Sequence))
                {
                    Redact(entry);
                }
            }
        }
    }

    private static void Redact(FeedEntry entry)
    {
        if (!entry.Redacted)
        {
            entry.Body = Retention.NoticeRedaction.Redact(entry.Body);
            entry.Redacted = true;
        }
    }

    // ---- Time ----

    /// <summary>Sends whose redelivery timeout has passed are released: withdrawn if still queued, and
    /// offered to another stream with room before they go back.</summary>
    public void Tick(DateTimeOffset now)
    {
        while (_timers.TryPeek(out var timer) && timer.Due <= now)
        {
            _timers.Dequeue();
            var entry = timer.Entry;
            if (entry.Holder is not { } holder || entry.Assignment != timer.Assignment || !entry.InRegion)
            {
                continue; // acknowledged, freed or sent again since
            }
            Release(entry, withdraw: true);
            (entry.TimedOutOn ??= []).Add(holder);
            holder.Suspect = true;
            MakeEligible(entry);
        }
        Pump(now);
    }

    /// <summary>When <see cref="Tick"/> should next run, or null.</summary>
    public DateTimeOffset? NextDue
    {
        get
        {
            while (_timers.TryPeek(out var timer))
            {
                if (timer.Entry.Holder is not null && timer.Entry.Assignment == timer.Assignment && timer.Entry.InRegion)
                {
                    return timer.Due;
                }
                _timers.Dequeue();
            }
            return null;
        }
    }

    // ---- Lease ----

    /// <summary>This instance now delivers the feed: load the region.</summary>
    public void Activate(DateTimeOffset now)
    {
        if (Active)
        {
            return;
        }
        Active = true;
        _regionValid = false;
        Pump(now);
    }

    /// <summary>Delivery is to move to another instance: nothing more goes out here, and what is queued
    /// but not yet written is withdrawn. What was written stays outstanding until it is acknowledged or
    /// times out; only then (<see cref="HandedOver"/>) may the lease go, so that no notice is ever
    /// outstanding on streams of two instances at once.</summary>
    public void BeginHandover()
    {
        if (!Active || HandingOver || !AllStreamsSuspect)
        {
            return;
        }
        HandingOver = true;
        foreach (var stream in _streams)
        {
            foreach (var entry in stream.Held.Where(e => e.Current!.Node is not null).ToList())
            {
                Release(entry, withdraw: true);
                MakeEligible(entry);
            }
        }
    }

    /// <summary>Delivery stays here after all (nobody else wants it any more). The core also ends a
    /// handover itself when a stream here is trusted again: it acknowledged, or it is new.</summary>
    public void CancelHandover(DateTimeOffset now)
    {
        if (!HandingOver)
        {
            return;
        }
        HandingOver = false;
        Pump(now);
    }

    /// <summary>Between <see cref="BeginHandover"/> and the lease going.</summary>
    public bool HandingOver { get; private set; }

    /// <summary>Handing over, and nothing is outstanding here any more.</summary>
    public bool HandedOver => HandingOver && _streams.TrueForAll(s => s.Held.Count == 0);

    /// <summary>Another instance delivers the feed now. Whatever is still outstanding here is forgotten,
    /// so the caller first hands over (<see cref="BeginHandover"/>) or ends the streams (a lease lost);
    /// the subscriber may still acknowledge it, and acknowledgements are always taken.</summary>
    public void Deactivate()
    {
        if (!Active)
        {
            return;
        }
        Active = false;
        HandingOver = false;
        foreach (var stream in _streams)
        {
            FreeAll(stream);
            stream.ReplayGeneration++;
            stream.ReplayLoading = false;
            if (stream.Buffer.Count > 0)
            {
                // Resume the replay from the first notice not yet sent, when delivery comes back here.
                stream.Cursor = Math.Min(stream.Cursor, stream.Buffer[0].Sequence);
                stream.Buffer.Clear();
            }
        }
        DropRegion();
    }

    /// <summary>Whether every open stream has let a notice time out since it last acknowledged (delivery
    /// should move to an instance with a stream that acknowledges).</summary>
    public bool AllStreamsSuspect => _streams.Count > 0 && _streams.TrueForAll(s => s.Suspect);

    /// <summary>Whether some open stream has not let a notice time out since it last acknowledged.</summary>
    public bool HasTrustedStream => _streams.Exists(s => !s.Suspect);

    // ---- Effects for the driver ----

    /// <summary>Streams given something to write since the last call.</summary>
    public void TakeWoken(List<FeedCoreStream> into)
    {
        into.AddRange(_woken);
        _woken.Clear();
    }

    /// <summary>A region read to start, if one is due.</summary>
    public RegionLoad? TakeRegionLoad()
    {
        var load = _regionLoadToStart;
        _regionLoadToStart = null;
        return load;
    }

    /// <summary>Replay reads to start.</summary>
    public void TakeReplayLoads(List<ReplayLoad> into)
    {
        into.AddRange(_replayLoads);
        _replayLoads.Clear();
    }

    // ---- Loads ----

    /// <summary>The answer to a <see cref="RegionLoad"/>: unacknowledged notices after its start, in
    /// order, at most its limit, all at or below <paramref name="head"/>, the head read first.</summary>
    public void RegionLoaded(RegionLoad load, IReadOnlyList<StoredNotice> rows, long head, DateTimeOffset now)
    {
        _regionLoading = false;
        var stale = _loadStale;
        _loadStale = false;
        if (stale || !Active || _streams.Count == 0 || load.Generation != _regionGeneration || load.After != LoadedThrough)
        {
            ClearLoadNotes();
            Pump(now);
            return;
        }
        foreach (var row in rows)
        {
            if (row.Sequence <= LoadedThrough || _acknowledgedDuringLoad.Contains(row.Sequence))
            {
                continue;
            }
            var entry = new FeedEntry(row.Sequence, row.Subject, row.Body);
            if (ErasedDuringLoad(row))
            {
                Redact(entry);
            }
            if (_sentBefore.Remove(row.Sequence, out var sent))
            {
                entry.Sent = sent;
            }
            AddToRegion(entry);
        }
        LoadedThrough = rows.Count >= load.Limit ? Math.Max(LoadedThrough, rows[^1].Sequence) : Math.Max(LoadedThrough, head);
        KnownHead = Math.Max(KnownHead, head);
        _regionValid = true;
        ClearLoadNotes();
        // A fetch waiting for the region learns it is loaded even when nothing in it is for it.
        _woken.UnionWith(_streams);
        Pump(now);
    }

    /// <summary>A region read failed; the next event asks again.</summary>
    public void RegionLoadFailed(DateTimeOffset now)
    {
        _regionLoading = false;
        ClearLoadNotes();
        Pump(now);
    }

    /// <summary>The answer to a <see cref="ReplayLoad"/>: every notice from its start to its end.</summary>
    public void ReplayLoaded(ReplayLoad load, IReadOnlyList<StoredNotice> rows, DateTimeOffset now)
    {
        var stream = load.Stream;
        stream.ReplayLoading = false;
        if (!stream.IsOpen || !Active || load.Generation != stream.ReplayGeneration || stream.Cursor != load.From)
        {
            ForgetErasuresIfNoReadsOut();
            Pump(now);
            return;
        }
        foreach (var row in rows)
        {
            if (row.Sequence < load.From || row.Sequence > load.To)
            {
                continue;
            }
            if (_region.TryGetValue(row.Sequence, out var unacknowledged))
            {
                if (unacknowledged.Holder != stream)
                {
                    stream.Buffer.Add(unacknowledged);
                }
            }
            else if (row.Sequence <= LoadedThrough)
            {
                var history = new FeedEntry(row.Sequence, row.Subject, row.Body) { Acknowledged = true };
                if (ErasedDuringLoad(row))
                {
                    Redact(history);
                }
                stream.Buffer.Add(history);
            }
        }
        ForgetErasuresIfNoReadsOut();
        stream.Cursor = load.To + 1;
        Pump(now);
    }

    public void ReplayLoadFailed(ReplayLoad load, DateTimeOffset now)
    {
        load.Stream.ReplayLoading = false;
        ForgetErasuresIfNoReadsOut();
        Pump(now);
    }

    /// <summary>The unacknowledged notices up to <paramref name="through"/> as the database has them
    /// now, after another instance acknowledged or redacted some: what is missing was acknowledged.</summary>
    public void Resynced(IReadOnlyList<StoredNotice> unacknowledged, long through, DateTimeOffset now)
    {
        if (_regionLoading)
        {
            _loadStale = true; // what it reads may predate the changes: read again when it answers
        }
        if (!Active || !_regionValid)
        {
            return;
        }
        var present = new Dictionary<long, byte[]>(unacknowledged.Count);
        foreach (var row in unacknowledged)
        {
            present[row.Sequence] = row.Body;
        }
        var gone = new List<long>();
        foreach (var (sequence, entry) in _region)
        {
            if (sequence > through)
            {
                continue;
            }
            if (!present.TryGetValue(sequence, out var body))
            {
                gone.Add(sequence);
            }
            else if (!entry.Redacted && !body.AsSpan().SequenceEqual(entry.Body))
            {
                entry.Body = body; // redacted by another instance (redaction only goes one way)
            }
        }
        Acknowledged(gone, null, now);
    }

    // ---- What the model test looks at ----

    internal IEnumerable<FeedEntry> RegionEntries => _region.Values;

    internal bool RegionValid => _regionValid;

    internal bool RegionLoading => _regionLoading;

    internal bool IsFirstOfSubject(FeedEntry entry) => IsHead(entry);

    internal bool HasUnacknowledgedEarlier(FeedEntry entry) => HasUnacknowledgedBefore(entry.Subject, entry.Sequence);

    internal bool MayTake(FeedCoreStream stream, FeedEntry entry)
    {
        _anyTrusted = _streams.Exists(s => !s.Suspect);
        return Accepts(stream, entry);
    }

    // ---- Internals ----

    private void AddToRegion(FeedEntry entry)
    {
        entry.InRegion = true;
        _region[entry.Sequence] = entry;
        if (!_subjects.TryGetValue(entry.Subject, out var chain))
        {
            chain = new SubjectChain();
            _subjects[entry.Subject] = chain;
        }
        if (chain.Tail is null)
        {
            chain.Head = chain.Tail = entry;
            MakeEligible(entry);
        }
        else
        {
            chain.Tail.NextInSubject = entry;
            chain.Tail = entry;
        }
    }

    private void RemoveFromChain(FeedEntry entry)
    {
        if (!_subjects.TryGetValue(entry.Subject, out var chain))
        {
            return;
        }
        FeedEntry? previous = null;
        for (var current = chain.Head; current is not null; previous = current, current = current.NextInSubject)
        {
            if (current != entry)
            {
                continue;
            }
            if (previous is null)
            {
                chain.Head = entry.NextInSubject;
            }
            else
            {
                previous.NextInSubject = entry.NextInSubject;
            }
            if (chain.Tail == entry)
            {
                chain.Tail = previous;
            }
            break;
        }
        entry.NextInSubject = null;
        if (chain.Head is null)
        {
            _subjects.Remove(entry.Subject);
        }
        else if (previous is null)
        {
            MakeEligible(chain.Head);
        }
    }

    private bool IsHead(FeedEntry entry) =>
        _subjects.TryGetValue(entry.Subject, out var chain) && chain.Head == entry;

    private bool IsEligible(FeedEntry entry) => entry.InRegion && entry.Holder is null && IsHead(entry);

    private void MakeEligible(FeedEntry entry)
    {
        if (!entry.InHeap && IsEligible(entry))
        {
            entry.InHeap = true;
            _eligible.Enqueue(entry, entry.Sequence);
        }
    }

    /// <summary>The notice is no longer outstanding on its holder. A send being written keeps its slot
    /// until written, a written one frees it. A queued one is withdrawn when the notice goes elsewhere
    /// (timed out, stream closing) and goes back into the stream's replay buffer if the replay owes it;
    /// once acknowledged it is written all the same (a duplicate the subscriber filters, and what a
    /// replaying subscriber is owed), its slot freed when written.</summary>
    private static void Release(FeedEntry entry, bool withdraw)
    {
        var holder = entry.Holder!;
        var item = entry.Current!;
        holder.Held.Remove(entry);
        entry.Holder = null;
        entry.Current = null;
        item.Released = true;
        if (item.Node is { } node)
        {
            if (withdraw)
            {
                holder.Queue.Remove(node);
                item.Node = null;
                item.Written = true;
                holder.Slots--;
                if (item.Owed && holder.IsOpen)
                {
                    holder.ReturnToBuffer(entry);
                }
            }
        }
        else if (item.Written)
        {
            holder.Slots--;
        }
    }

    /// <summary>Withdraws everything queued for <paramref name="stream"/> and releases what it holds;
    /// returns the notices it held.</summary>
    private static List<FeedEntry> FreeAll(FeedCoreStream stream)
    {
        var held = stream.Held.ToList();
        foreach (var entry in held)
        {
            Release(entry, withdraw: true);
        }
        while (stream.Queue.First is { } node)
        {
            stream.Queue.RemoveFirst();
            node.Value.Node = null;
            node.Value.Written = true;
            stream.Slots--;
            if (stream.IsOpen && (node.Value.History || node.Value.Owed))
            {
                stream.ReturnToBuffer(node.Value.Entry);
            }
        }
        return held;
    }

    private void DropRegion()
    {
        foreach (var entry in _region.Values)
        {
            if (entry.Sent > 0)
            {
                _sentBefore[entry.Sequence] = entry.Sent;
            }
            entry.InRegion = false;
        }
        _region.Clear();
        _subjects.Clear();
        _eligible.Clear();
        _timers.Clear();
        _regionValid = false;
        _regionGeneration++;
        LoadedThrough = 0;
        ClearLoadNotes();
        if (_sentBefore.Count > 16 * settings.MinimumRegion)
        {
            _sentBefore.Clear(); // a bound; redelivery counts are best effort (they also restart with the process)
        }
    }

    private void ClearLoadNotes()
    {
        _acknowledgedDuringLoad.Clear();
        ForgetErasuresIfNoReadsOut();
    }

    private bool ErasedDuringLoad(StoredNotice row) => _erasedDuringLoad.Contains(row.Sequence);

    private void ForgetErasuresIfNoReadsOut()
    {
        if (!_regionLoading && !_streams.Exists(s => s.ReplayLoading))
        {
            _erasedDuringLoad.Clear();
        }
    }

    private sealed class SubjectChain
    {
        public FeedEntry? Head { get; set; }
        public FeedEntry? Tail { get; set; }
    }
}
