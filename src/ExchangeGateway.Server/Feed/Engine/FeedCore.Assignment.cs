namespace ExchangeGateway.Server.Feed.Engine;

/// <summary>Who gets what: the pump that runs after every event.</summary>
internal sealed partial class FeedCore
{
    private readonly HashSet<string> _blocked = new(StringComparer.Ordinal);

    // Whether some open stream is not suspect; set at the start of each pump.
    private bool _anyTrusted;

    /// <summary>Moves what can move: asks for reads, lets replays advance, and hands every free
    /// first-of-subject notice to the best stream that has room, until no stream has room or no notice
    /// is free. What does not move costs nothing here (it stays in the heap).</summary>
    private void Pump(DateTimeOffset now)
    {
        if (HandingOver && !AllStreamsSuspect)
        {
            HandingOver = false; // a stream here acknowledges again (or a new one opened): delivery stays
        }
        DetachEndedLeases();
        if (!Active || HandingOver || _streams.Count == 0)
        {
            return;
        }
        RequestRegionLoad();
        if (!_regionValid)
        {
            return;
        }
        _anyTrusted = _streams.Exists(s => !s.Suspect);
        foreach (var stream in _streams)
        {
            RequestReplayLoad(stream);
            if (stream.Buffer.Count > 0 && stream.Room > 0)
            {
                PumpBuffer(stream, now);
            }
        }
        AssignFromHeap(now);
    }

    private void AssignFromHeap(DateTimeOffset now)
    {
        _anyTrusted = _streams.Exists(s => !s.Suspect);
        if (!StreamsWithRoom(out var bound))
        {
            return;
        }
        _skipped.Clear();
        while (_eligible.TryPeek(out var entry, out _))
        {
            if (!IsEligible(entry))
            {
                _eligible.Dequeue();
                entry.InHeap = false;
                continue;
            }
            if (entry.Sequence >= bound)
            {
                break; // only replaying streams have room, and they have not reached this far
            }
            _eligible.Dequeue();
            entry.InHeap = false;
            if (Best(entry, now) is not { } stream)
            {
                _skipped.Add(entry); // a replaying stream still owes its subscriber an earlier notice about it
                continue;
            }
            Assign(entry, stream, now, fromBuffer: false);
            if (!StreamsWithRoom(out bound))
            {
                break;
            }
        }
        foreach (var entry in _skipped)
        {
            MakeEligible(entry);
        }
        _skipped.Clear();
    }

    /// <summary>Whether any stream has room; <paramref name="bound"/>: the sequence from which none of them
    /// may take a notice yet (only replaying streams have a bound).</summary>
    private bool StreamsWithRoom(out long bound)
    {
        bound = long.MinValue;
        var any = false;
        foreach (var stream in _streams)
        {
            if (stream.Room > 0 && Candidate(stream))
            {
                any = true;
                bound = Math.Max(bound, stream.Cursor);
            }
        }
        return any;
    }

    /// <summary>The stream <paramref name="entry"/> should go to: one that may take it and has room,
    /// preferring, in this order, a stream it has not timed out on, one that has not let a notice time
    /// out since it last acknowledged, one that acknowledged within the redelivery timeout, one that
    /// ever acknowledged, the most room, the oldest. So a notice that timed out goes to another stream
    /// before it goes back, and a stream that shows it acknowledges is preferred to one that does not.</summary>
    private FeedCoreStream? Best(FeedEntry entry, DateTimeOffset now)
    {
        FeedCoreStream? best = null;
        foreach (var stream in _streams)
        {
            if (!Accepts(stream, entry))
            {
                continue;
            }
            if (best is null || Compare(stream, best, entry, now) > 0)
            {
                best = stream;
            }
        }
        return best;
    }

    /// <summary>A stream that let a notice time out and has acknowledged nothing since (suspect) gets
    /// nothing while a stream that has not is open: a hung connector holds no notice hostage while its
    /// healthy twin waits. A suspect stream that acknowledges anything (a slow one catching up) is
    /// trusted again.
    /// A replaying stream takes live notices from its replay range as it reaches them, and older ones
    /// (before its replay start) once it has caught up, so the replay comes first; unless its replay
    /// buffer is full of notices that wait for one of those older ones, which it then takes.</summary>
    private bool Accepts(FeedCoreStream stream, FeedEntry entry) =>
        stream.Room > 0 && Candidate(stream)
        && entry.Sequence < stream.Cursor
        && (stream.Cursor == FeedCoreStream.Live || entry.Sequence >= stream.ReplayStart || stream.Buffer.Count >= settings.ReplayPage)
        && !stream.BufferHoldsEarlier(entry.Subject, entry.Sequence)
        && (!entry.HasTimedOutOn(stream) || TimedOutOnEveryCandidate(entry));

    private bool Candidate(FeedCoreStream stream) => !stream.Suspect || !_anyTrusted;

    /// <summary>A notice goes back to a stream it timed out on only once every stream that may get
    /// notices has had it (then the round starts again); until then it waits for one of the others.</summary>
    private bool TimedOutOnEveryCandidate(FeedEntry entry)
    {
        foreach (var stream in _streams)
        {
            if (Candidate(stream) && !entry.HasTimedOutOn(stream))
            {
                return false;
            }
        }
        return true;
    }

    private int Compare(FeedCoreStream a, FeedCoreStream b, FeedEntry entry, DateTimeOffset now)
    {
        var timeout = settings.RedeliveryTimeout;
        int c;
        if ((c = (!entry.HasTimedOutOn(a)).CompareTo(!entry.HasTimedOutOn(b))) != 0
            || (c = (!a.Suspect).CompareTo(!b.Suspect)) != 0
            || (c = a.Proven(now, timeout).CompareTo(b.Proven(now, timeout))) != 0
            || (c = a.EverAcknowledged.CompareTo(b.EverAcknowledged)) != 0
            || (c = a.Room.CompareTo(b.Room)) != 0)
        {
            return c;
        }
        return b.Id.CompareTo(a.Id);
    }

    private void Assign(FeedEntry entry, FeedCoreStream stream, DateTimeOffset now, bool fromBuffer)
    {
        var item = new OutgoingItem(entry, history: false) { Due = now + settings.RedeliveryTimeout };
        entry.Holder = stream;
        entry.Current = item;
        entry.Assignment++;
        stream.Held.Add(entry);
        stream.Slots++;
        item.Node = stream.Queue.AddLast(item);
        _timers.Enqueue((item.Due, entry, entry.Assignment));
        _woken.Add(stream);
        item.Owed = fromBuffer || (stream.Buffer.Count > 0 && stream.Buffer.Remove(entry));
    }

    /// <summary>Sends a replaying stream what its buffer owes it, in order per subject: an acknowledged
    /// notice as history once no earlier notice about its subject is unacknowledged, an unacknowledged
    /// one when it is free and first of its subject.</summary>
    private void PumpBuffer(FeedCoreStream stream, DateTimeOffset now)
    {
        _blocked.Clear();
        var buffer = stream.Buffer;
        var kept = 0;
        for (var i = 0; i < buffer.Count; i++)
        {
            var entry = buffer[i];
            var sent = false;
            if (stream.Room > 0 && !_blocked.Contains(entry.Subject))
            {
                if (entry.InRegion)
                {
                    if (entry.Holder == stream)
                    {
                        sent = true;
                    }
                    else if (entry.Holder is null && IsHead(entry) && Best(entry, now) == stream)
                    {
                        // Free: it goes here only if this is where any free notice would go (else the
                        // pool gives it to the better stream, and this one gets it as history later).
                        Assign(entry, stream, now, fromBuffer: true);
                        sent = true;
                    }
                }
                else if (entry.Acknowledged && !HasUnacknowledgedBefore(entry.Subject, entry.Sequence))
                {
                    var item = new OutgoingItem(entry, history: true);
                    stream.Slots++;
                    item.Node = stream.Queue.AddLast(item);
                    _woken.Add(stream);
                    sent = true;
                }
            }
            if (!sent)
            {
                _blocked.Add(entry.Subject);
                buffer[kept++] = entry;
            }
        }
        buffer.RemoveRange(kept, buffer.Count - kept);
    }

    private bool HasUnacknowledgedBefore(string subject, long sequence) =>
        _subjects.TryGetValue(subject, out var chain) && chain.Head is { } head && head.Sequence < sequence;

    private void RequestRegionLoad()
    {
        if (_regionLoading || (_regionValid && LoadedThrough >= KnownHead))
        {
            return;
        }
        var limit = RegionCapacity - _region.Count;
        if (limit <= 0)
        {
            return;
        }
        _regionLoading = true;
        _regionLoadToStart = new RegionLoad(LoadedThrough, limit, _regionGeneration);
        Loads++;
    }

    private void RequestReplayLoad(FeedCoreStream stream)
    {
        if (stream.Cursor == FeedCoreStream.Live || stream.ReplayLoading || stream.Buffer.Count >= settings.ReplayPage)
        {
            return;
        }
        if (stream.Cursor <= LoadedThrough)
        {
            var to = Math.Min(LoadedThrough, stream.Cursor + settings.ReplayPage - stream.Buffer.Count - 1);
            stream.ReplayLoading = true;
            _replayLoads.Add(new ReplayLoad(stream, stream.Cursor, to, stream.ReplayGeneration));
            Loads++;
        }
        else if (LoadedThrough == KnownHead && !_regionLoading)
        {
            stream.Cursor = FeedCoreStream.Live; // caught up: from here on it takes part in live delivery
        }
    }
}
