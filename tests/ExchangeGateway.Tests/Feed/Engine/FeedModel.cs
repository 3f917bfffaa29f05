using System.Globalization;
using ExchangeGateway.Contracts.V1;
using ExchangeGateway.Server.Feed;
using ExchangeGateway.Server.Feed.Engine;
using ExchangeGateway.Server.Retention;
using Google.Protobuf;

namespace ExchangeGateway.Tests.Feed.Engine;

/// <summary>What a step of a schedule does; the ints mean what <see cref="FeedModel.Apply"/> says per kind.</summary>
internal enum StepKind
{
    Commit,
    Open,
    Close,
    Write,
    Acknowledge,
    Advance,
    CompleteLoads,
    Restart,
    Lease,
    Erase,
    Fetch,
}

internal readonly record struct ScheduleStep(StepKind Kind, int A, int B, int C, int D)
{
    public override string ToString() => $"{Kind}({A},{B},{C},{D})";
}

/// <summary>How a model subscriber behaves.</summary>
internal enum Behaviour
{
    /// <summary>Reads and acknowledges everything before any time passes.</summary>
    Prompt,

    /// <summary>Reads when told, never acknowledges (a hung connector).</summary>
    Silent,

    /// <summary>Takes one message and never finishes writing it (a peer that stopped reading).</summary>
    NonReading,

    /// <summary>Reads and acknowledges when told, some of what it got.</summary>
    Random,
}

/// <summary>A deterministic world for <see cref="FeedCore"/>: one feed, one or two gateway instances
/// (each with its core; on two, one holds the lease), the database as a list, subscribers with
/// behaviours, a clock. Each step changes the world through the core's real entry points and then
/// every invariant of the guarantee is checked; a violation throws with the step that broke it.</summary>
internal sealed class FeedModel
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private static readonly string[] Subjects = ["s0", "s1", "s2", "s3", "s4", "s5"];

    private readonly Instance[] _instances;
    private readonly List<Row> _db = [];
    private readonly List<ModelStream> _streams = [];
    private readonly bool _shared;
    private DateTimeOffset _now = new(2026, 12, 1, 8, 0, 0, TimeSpan.Zero);
    private int _holder;
    private DateTimeOffset _disruptedAt;
    private int _disruptions;
    private long _nextStreamId = 1;
    private int _step;
    private readonly System.Text.StringBuilder? _trace =
        Environment.GetEnvironmentVariable("EXGW_MODEL_TRACE") == "1" ? new() : null;

    public FeedModel(int instances, int minimumRegion)
    {
        _shared = instances > 1;
        _instances = [.. Enumerable.Range(0, instances).Select(_ => new Instance(NewCore(minimumRegion)))];
        MinimumRegion = minimumRegion;
        _holder = _shared ? -1 : 0;
        if (!_shared)
        {
            _instances[0].Core.Activate(_now);
        }
        _disruptedAt = _now;
    }

    private int MinimumRegion { get; }

    private static FeedCore NewCore(int minimumRegion) => new(new FeedCoreSettings(Timeout, minimumRegion, ReplayPage: 3));

    public void Run(IReadOnlyList<ScheduleStep> steps)
    {
        foreach (var step in steps)
        {
            _step++;
            try
            {
                Apply(step);
                Collect();
                Verify();
            }
            catch (ModelViolation violation)
            {
                throw new ModelViolation($"step {_step} {step}: {violation.Message}{_trace}");
            }
            Trace(step.ToString());
        }
        _step++;
        try
        {
            Finish();
        }
        catch (ModelViolation violation)
        {
            throw new ModelViolation($"finish: {violation.Message}{_trace}");
        }
    }

    private void Apply(ScheduleStep step)
    {
        switch (step.Kind)
        {
            case StepKind.Commit:
                Commit(step.A % _instances.Length, Subjects[step.B % Subjects.Length], 1 + (step.C % 3));
                break;
            case StepKind.Open:
                Open(step.A % _instances.Length, 1 + (step.B % 6), (Behaviour)(step.C % 4), step.D);
                break;
            case StepKind.Close:
                // A lease is never closed: it ends by itself once what it took is acknowledged or timed out.
                if (OpenStreams.Where(s => !s.IsLease).ElementAtOrDefault(step.A % Math.Max(1, OpenStreams.Count(s => !s.IsLease))) is { } closing)
                {
                    Close(closing);
                }
                break;
            case StepKind.Write:
                if (OpenStreams.ElementAtOrDefault(step.A % Math.Max(1, OpenStreams.Count())) is { } writer)
                {
                    Write(writer, 1 + (step.B % 4));
                }
                break;
            case StepKind.Acknowledge:
                if (OpenStreams.ElementAtOrDefault(step.A % Math.Max(1, OpenStreams.Count())) is { } acker)
                {
                    AcknowledgeBy(acker, step.B % 3, step.C);
                }
                break;
            case StepKind.Advance:
                Settle();
                CheckLiveness();
                Advance(TimeSpan.FromMilliseconds(step.A % 15_000));
                break;
            case StepKind.CompleteLoads:
                CompleteLoads(_instances[step.A % _instances.Length]);
                break;
            case StepKind.Restart:
                Restart(step.A % _instances.Length);
                break;
            case StepKind.Lease:
                Lease(lost: step.A % 4 == 0);
                break;
            case StepKind.Erase:
                Erase(Subjects[step.A % Subjects.Length]);
                break;
            case StepKind.Fetch:
                Fetch(step.A % _instances.Length, 1 + (step.B % 4), acknowledges: step.C % 3 != 0);
                break;
        }
    }

    private IEnumerable<ModelStream> OpenStreams => _streams.Where(s => s.Open);

    // ---- The world ----

    private void Commit(int instance, string subject, int count)
    {
        var committed = new List<StoredNotice>();
        for (var i = 0; i < count; i++)
        {
            var sequence = _db.Count + 1;
            var body = new Notice
            {
                NoticeId = "n" + sequence.ToString(CultureInfo.InvariantCulture),
                Type = "nl.asielketen.aankomst-aangekondigd",
                Subject = subject,
                ArrivalAnnounced = new ArrivalAnnounced
                {
                    ArrivalId = subject,
                    Details = new ArrivalDetails { CaseReference = Marker(sequence) },
                },
            }.ToByteArray();
            _db.Add(new Row(sequence, subject, body));
            committed.Add(new StoredNotice(sequence, subject, body));
        }
        UpdateEligibility();
        for (var i = 0; i < _instances.Length; i++)
        {
            if (i == instance)
            {
                _instances[i].Core.Committed(committed, _now);
            }
            else
            {
                _instances[i].Core.HeadMoved(_db.Count, _now);
            }
        }
    }

    private static string Marker(long sequence) => "PD-" + sequence.ToString(CultureInfo.InvariantCulture);

    private void Open(int instance, int window, Behaviour behaviour, int replay)
    {
        var from = replay % 3 == 0 && _db.Count > 0 ? 1 + (replay % _db.Count) : 0;
        var id = _nextStreamId++;
        var core = _instances[instance].Core;
        var stream = new ModelStream(id, instance, behaviour, window, from, _now, core.Attach(id, window, from, _now)) { Disruptions = _disruptions };
        _streams.Add(stream);
    }

    /// <summary>A pull consumer's fetch: a lease of up to <paramref name="max"/> notices, taken at once,
    /// then sealed. One that acknowledges (prompt) does so when the world settles; one that does not lets
    /// what it took time out.</summary>
    private void Fetch(int instance, int max, bool acknowledges)
    {
        Open(instance, max, acknowledges ? Behaviour.Prompt : Behaviour.Silent, replay: 1);
        var lease = _streams[^1];
        lease.IsLease = true;
        Write(lease, max);
        _instances[instance].Core.Seal(lease.Core, _now);
        Collect();
    }

    private void Close(ModelStream stream)
    {
        stream.Open = false;
        stream.ClosedAt = _now;
        _instances[stream.Instance].Core.Detach(stream.Core, _now);
    }

    private void Write(ModelStream stream, int count)
    {
        if (stream.Behaviour == Behaviour.NonReading)
        {
            // The writer takes one message and its write never completes.
            if (stream.Core.Writing is null && FeedCore.TakeNext(stream.Core) is { } stuck)
            {
                Check(stuck, stream);
            }
            return;
        }
        var core = _instances[stream.Instance].Core;
        for (var i = 0; i < count; i++)
        {
            if (FeedCore.TakeNext(stream.Core) is not { } message)
            {
                return;
            }
            Check(message, stream);
            core.Written(stream.Core, _now);
            Collect();
        }
    }

    private void AcknowledgeBy(ModelStream stream, int mode, int pick)
    {
        var sequences = mode switch
        {
            0 => Unacknowledged(stream).ToList(),
            1 => Unacknowledged(stream).Where((_, i) => ((pick >> (i % 16)) & 1) == 1).ToList(),
            _ => [1 + (pick % (_db.Count + 2))],
        };
        if (stream.Behaviour == Behaviour.Silent || stream.Behaviour == Behaviour.NonReading)
        {
            return;
        }
        Acknowledge(stream, sequences);
    }

    /// <summary>An acknowledgement made durable: the database first, then every instance learns it (the
    /// acknowledging one with the stream it came through, the other as by a notification or a resync).</summary>
    private void Acknowledge(ModelStream stream, List<long> sequences)
    {
        var known = sequences.Where(s => s >= 1 && s <= _db.Count).Distinct().ToList();
        foreach (var sequence in known)
        {
            _db[(int)sequence - 1].Acknowledged = true;
        }
        UpdateEligibility();
        for (var i = 0; i < _instances.Length; i++)
        {
            var core = _instances[i].Core;
            if (i == stream.Instance)
            {
                core.Acknowledged(known, stream.Open ? stream.Core : null, _now);
            }
            else if ((_step & 1) == 0)
            {
                core.Acknowledged(known, null, _now);
            }
            else
            {
                core.Resynced([.. _db.Where(r => !r.Acknowledged && r.Sequence <= core.LoadedThrough).Select(r => new StoredNotice(r.Sequence, r.Subject, r.Body))], core.LoadedThrough, _now);
            }
        }
    }

    /// <summary>Time passes as a fake clock lets it: each redelivery fires at its own time, and prompt
    /// subscribers respond at once to what it brings them.</summary>
    private void Advance(TimeSpan by)
    {
        var until = _now + by;
        while (_instances.Select(i => i.Core.NextDue).Where(d => d is not null && d <= until).Min() is { } due)
        {
            _now = due > _now ? due : _now;
            foreach (var instance in _instances)
            {
                instance.Core.Tick(_now);
            }
            Collect();
            Verify();
            Settle();
        }
        _now = until;
        foreach (var instance in _instances)
        {
            instance.Core.Tick(_now);
        }
    }

    private void Restart(int index)
    {
        foreach (var stream in OpenStreams.Where(s => s.Instance == index).ToList())
        {
            stream.Open = false;
            stream.ClosedAt = _now;
        }
        _instances[index] = new Instance(NewCore(MinimumRegion));
        if (!_shared)
        {
            _instances[index].Core.Activate(_now);
        }
        else if (_holder == index)
        {
            _holder = -1; // the lease expires
        }
        _disruptedAt = _now;
        _disruptions++;
    }

    /// <summary>What the lease manager does on a shared database: delivery goes to an instance with
    /// streams, and moves from one whose streams all let notices time out to one with a trusted stream;
    /// or the holder loses its lease (it could not renew).</summary>
    private void Lease(bool lost)
    {
        if (!_shared)
        {
            return;
        }
        if (lost && _holder >= 0)
        {
            // The holder could not renew in time: it ends its streams on the feed (their subscribers
            // reconnect), so nothing it sent is outstanding on an open stream when another instance starts.
            foreach (var stream in OpenStreams.Where(s => s.Instance == _holder).ToList())
            {
                Close(stream);
            }
            Move(null);
            return;
        }
        if (_holder >= 0)
        {
            var core = _instances[_holder].Core;
            var other = 1 - _holder;
            if (core.Streams.Count == 0)
            {
                Move(null);
            }
            else if (core.AllStreamsSuspect && _instances[other].Core.HasTrustedStream)
            {
                // Delivery moves once what this instance wrote was acknowledged or timed out.
                core.BeginHandover();
                if (core.HandedOver)
                {
                    Move(other);
                }
                return;
            }
            else
            {
                core.CancelHandover(_now);
            }
        }
        if (_holder < 0)
        {
            var candidates = Enumerable.Range(0, _instances.Length).Where(i => _instances[i].Core.Streams.Count > 0).ToList();
            if (candidates.Count > 0)
            {
                Move(candidates.FirstOrDefault(i => _instances[i].Core.HasTrustedStream, candidates[0]));
            }
        }
    }

    private void Move(int? to)
    {
        if (_holder >= 0)
        {
            _instances[_holder].Core.Deactivate();
        }
        _holder = to ?? -1;
        if (to is { } index)
        {
            _instances[index].Core.Activate(_now);
        }
        _disruptedAt = _now;
        _disruptions++;
    }

    private void Erase(string subject)
    {
        var redacted = new HashSet<long>();
        foreach (var row in _db.Where(r => r.Subject == subject))
        {
            row.Body = NoticeRedaction.Redact(row.Body);
            row.Erased = true;
            redacted.Add(row.Sequence);
        }
        foreach (var instance in _instances)
        {
            instance.Core.Redacted(redacted);
        }
    }

    /// <summary>Takes what the cores asked for (reads) and keeps it pending until loads complete.</summary>
    private void Collect()
    {
        foreach (var instance in _instances)
        {
            // Half the reads read the database when asked and answer later (a snapshot older than what
            // happened meanwhile), half read it when they answer.
            var early = (_step & 2) == 0;
            if (instance.Core.TakeRegionLoad() is { } load)
            {
                instance.RegionLoads.Add((load, early ? ReadRegion(load) : null));
            }
            var replays = new List<ReplayLoad>();
            instance.Core.TakeReplayLoads(replays);
            instance.ReplayLoads.AddRange(replays.Select(r => (r, early ? ReadReplay(r) : null)));
            instance.Woken.Clear();
            instance.Core.TakeWoken(instance.Woken);
            var ended = new List<FeedCoreStream>();
            instance.Core.TakeEndedLeases(ended);
            foreach (var lease in _streams.Where(m => ended.Contains(m.Core)))
            {
                if (!lease.IsLease || lease.Core.Held.Count > 0)
                {
                    throw new ModelViolation($"stream {lease.Id} ended by the core although it is no sealed lease or still holds notices");
                }
                lease.Open = false;
                lease.ClosedAt = _now;
            }
        }
    }

    /// <summary>The database answers, as it is now.</summary>
    private void CompleteLoads(Instance instance)
    {
        while (instance.RegionLoads.Count > 0 || instance.ReplayLoads.Count > 0)
        {
            var regions = instance.RegionLoads.ToList();
            var replays = instance.ReplayLoads.ToList();
            instance.RegionLoads.Clear();
            instance.ReplayLoads.Clear();
            foreach (var (load, read) in regions)
            {
                var (rows, head) = read ?? ReadRegion(load);
                instance.Core.RegionLoaded(load, rows, head, _now);
            }
            foreach (var (load, read) in replays)
            {
                instance.Core.ReplayLoaded(load, read ?? ReadReplay(load), _now);
            }
            Collect();
        }
    }

    private (List<StoredNotice> Rows, long Head) ReadRegion(RegionLoad load) =>
        ([.. _db.Where(r => !r.Acknowledged && r.Sequence > load.After).Take(load.Limit).Select(r => new StoredNotice(r.Sequence, r.Subject, r.Body))], _db.Count);

    private List<StoredNotice> ReadReplay(ReplayLoad load) =>
        [.. _db.Where(r => r.Sequence >= load.From && r.Sequence <= load.To).Select(r => new StoredNotice(r.Sequence, r.Subject, r.Body))];

    /// <summary>Every read answered, and every prompt subscriber has read and acknowledged what it was
    /// sent, until nothing moves: what a quiet moment looks like before time passes.</summary>
    private void Settle()
    {
        for (var round = 0; round < 1000; round++)
        {
            foreach (var instance in _instances)
            {
                CompleteLoads(instance);
            }
            var moved = false;
            foreach (var stream in OpenStreams.Where(s => s.Behaviour == Behaviour.Prompt).ToList())
            {
                var before = stream.Written.Count;
                Write(stream, int.MaxValue);
                var pending = Unacknowledged(stream).ToList();
                if (pending.Count > 0)
                {
                    Acknowledge(stream, pending);
                    moved = true;
                }
                moved |= stream.Written.Count != before;
            }
            Collect();
            Verify();
            if (!moved && _instances.All(i => i.RegionLoads.Count == 0 && i.ReplayLoads.Count == 0))
            {
                return;
            }
        }
        throw new ModelViolation("the world did not settle");
    }

    /// <summary>At the end: with a prompt subscriber open on the delivering instance, every notice is
    /// eventually acknowledged, and every prompt replay got everything from its start.</summary>
    private void Finish()
    {
        for (var instance = 0; instance < _instances.Length; instance++)
        {
            if (!OpenStreams.Any(s => s.Instance == instance && s.Behaviour == Behaviour.Prompt && !s.IsLease && s.ReplayFrom == 0))
            {
                Open(instance, 3, Behaviour.Prompt, 1);
            }
        }
        Collect();
        for (var round = 0; round < 20 && _db.Any(r => !r.Acknowledged); round++)
        {
            Lease(lost: false);
            Collect();
            Settle();
            CheckLiveness();
            Advance(Timeout + TimeSpan.FromMilliseconds(1));
            Collect();
            Verify();
            Trace("finish round");
        }
        Settle();
        if (_db.FirstOrDefault(r => !r.Acknowledged) is { } left)
        {
            throw new ModelViolation($"notice {left.Sequence} ({left.Subject}) was never acknowledged although a prompt subscriber was open");
        }
        foreach (var stream in OpenStreams.Where(s => s.Behaviour == Behaviour.Prompt && s.ReplayFrom > 0 && s.CaughtUpHead is not null && s.Disruptions == _disruptions))
        {
            var got = stream.Written.Select(w => w.Sequence).ToHashSet();
            for (var sequence = stream.ReplayFrom; sequence <= stream.CaughtUpHead; sequence++)
            {
                if (!got.Contains(sequence))
                {
                    throw new ModelViolation($"replay stream {stream.Id} from {stream.ReplayFrom} caught up at {stream.CaughtUpHead} but was never sent {sequence}");
                }
            }
        }
    }

    private void Trace(string what)
    {
        if (_trace is null)
        {
            return;
        }
        _trace.Append(CultureInfo.InvariantCulture, $"\n{_step} t={(_now - new DateTimeOffset(2026, 12, 1, 8, 0, 0, TimeSpan.Zero)).TotalSeconds:0.###} {what} holder={_holder}");
        foreach (var row in _db)
        {
            _trace.Append(CultureInfo.InvariantCulture, $" #{row.Sequence}{row.Subject}{(row.Acknowledged ? "+" : "")}");
        }
        for (var i = 0; i < _instances.Length; i++)
        {
            var core = _instances[i].Core;
            _trace.Append(CultureInfo.InvariantCulture, $"\n   i{i} active={core.Active} head={core.KnownHead} loaded={core.LoadedThrough} valid={core.RegionValid} loading={core.RegionLoading}");
            foreach (var stream in core.Streams)
            {
                var model = _streams.First(m => m.Core == stream);
                _trace.Append(CultureInfo.InvariantCulture,
                    $"\n     s{stream.Id} {model.Behaviour} w={stream.Window} slots={stream.Slots} held=[{string.Join(",", stream.Held.Select(e => e.Sequence))}] q=[{string.Join(",", stream.Queue.Select(q => q.Entry.Sequence))}] writing={stream.Writing?.Entry.Sequence} suspect={stream.Suspect} cursor={(stream.Cursor == FeedCoreStream.Live ? "live" : stream.Cursor)} buf=[{string.Join(",", stream.Buffer.Select(e => e.Sequence))}] written=[{string.Join(",", model.Written.Select(w => w.Sequence))}]");
            }
        }
    }

    // ---- The invariants ----

    /// <summary>A message the core gave a stream's writer, checked as the subscriber would see it.</summary>
    private void Check(FeedMessage message, ModelStream stream)
    {
        var notice = message.ToResponse().Notice ?? throw new ModelViolation("a message that is not a notice");
        var sequence = (long)notice.Sequence;
        var row = _db[(int)sequence - 1];
        if (notice.Subject != row.Subject)
        {
            throw new ModelViolation($"notice {sequence} sent with subject {notice.Subject}, stored with {row.Subject}");
        }
        if (row.Erased && notice.ArrivalAnnounced?.Details is not null)
        {
            var where = string.Join("; ", _instances.Select((inst, i) => $"i{i} region={inst.Core.RegionEntries.Any(e => e.Sequence == sequence)} redacted={inst.Core.RegionEntries.FirstOrDefault(e => e.Sequence == sequence)?.Redacted}"));
            throw new ModelViolation($"notice {sequence} sent to stream {stream.Id} (instance {stream.Instance}) with the personal data retention erased ({where})");
        }
        var history = row.Acknowledged;
        foreach (var earlier in _db.Take((int)sequence - 1).Where(r => r.Subject == row.Subject))
        {
            if (!earlier.Acknowledged)
            {
                throw new ModelViolation($"notice {sequence} ({row.Subject}) sent to stream {stream.Id} while {earlier.Sequence} about the same subject is unacknowledged");
            }
            if (history && stream.Owes(earlier.Sequence) && !stream.Written.Any(w => w.Sequence == earlier.Sequence))
            {
                throw new ModelViolation($"replayed notice {sequence} ({row.Subject}) sent to stream {stream.Id} before {earlier.Sequence} about the same subject");
            }
        }
        if (!history)
        {
            foreach (var other in OpenStreams.Where(s => s != stream))
            {
                if (other.Core.Held.Any(e => e.Sequence == sequence))
                {
                    throw new ModelViolation($"notice {sequence} written to stream {stream.Id} while outstanding on stream {other.Id}");
                }
            }
        }
        if (!history)
        {
            // As the subscribers see it: a notice written to a stream that is still open stays
            // outstanding there until acknowledged or until its redelivery timeout, whatever the instance
            // that sent it has since forgotten (a lease that moved).
            foreach (var other in OpenStreams)
            {
                var until = other.Written.Where(w => w.Sequence == sequence && !w.History).Select(w => w.Due).DefaultIfEmpty().Max();
                if (until > _now)
                {
                    throw new ModelViolation($"notice {sequence} written to stream {stream.Id} (instance {stream.Instance}) while outstanding on stream {other.Id} (instance {other.Instance}) for {(until - _now).TotalSeconds:0.###} s more");
                }
            }
        }
        stream.Written.Add(new Sent(sequence, history, _now, history ? default : stream.Core.Writing!.Due));
    }

    private void Verify()
    {
        var holders = new Dictionary<long, long>();
        for (var i = 0; i < _instances.Length; i++)
        {
            var core = _instances[i].Core;
            foreach (var stream in core.Streams)
            {
                var queued = stream.Queue.Count + (stream.Writing is null ? 0 : 1);
                if (queued > stream.Window || stream.Slots > stream.Window || stream.Slots < 0)
                {
                    throw new ModelViolation($"stream {stream.Id} holds {queued} messages in memory, slots {stream.Slots}, window {stream.Window}");
                }
                if (stream.Slots < queued)
                {
                    throw new ModelViolation($"stream {stream.Id} counts {stream.Slots} slots for {queued} messages in memory");
                }
                foreach (var entry in stream.Held)
                {
                    if (!holders.TryAdd(entry.Sequence, stream.Id))
                    {
                        throw new ModelViolation($"notice {entry.Sequence} outstanding on streams {holders[entry.Sequence]} and {stream.Id}");
                    }
                    if (_db[(int)entry.Sequence - 1].Acknowledged)
                    {
                        throw new ModelViolation($"acknowledged notice {entry.Sequence} still outstanding on stream {stream.Id}");
                    }
                    if (entry.Holder != stream)
                    {
                        throw new ModelViolation($"notice {entry.Sequence} held by stream {stream.Id} names another holder");
                    }
                }
                if (stream.Sealed && (stream.Queue.Count > 0 || stream.Writing is not null
                    || stream.Held.Any(e => !_streams.First(m => m.Core == stream).Written.Any(w => w.Sequence == e.Sequence))))
                {
                    throw new ModelViolation($"sealed lease {stream.Id} was given a notice after its fetch answered");
                }
                if (!core.Active && (stream.Held.Count > 0 || stream.Queue.Count > 0))
                {
                    throw new ModelViolation($"instance {i} does not deliver the feed but stream {stream.Id} holds or has queued notices");
                }
            }
            if (core.Active && !core.HandingOver && core.RegionValid && !core.RegionLoading)
            {
                VerifyNothingWaits(core);
            }
        }
        var delivering = _shared ? _holder : 0;
        if (delivering >= 0 && _instances[delivering].Core is { Active: true, RegionValid: true } regionCore)
        {
            foreach (var row in _db.Where(r => r.Sequence <= regionCore.LoadedThrough && r.InRegionSince is null))
            {
                row.InRegionSince = _now;
            }
        }
        foreach (var stream in OpenStreams)
        {
            if (stream.CaughtUpHead is null && stream.ReplayFrom > 0 && stream.Core.Cursor == FeedCoreStream.Live)
            {
                stream.CaughtUpHead = _instances[stream.Instance].Core.KnownHead;
            }
        }
    }

    /// <summary>No stream waits with room while a notice it may take is free.</summary>
    private void VerifyNothingWaits(FeedCore core)
    {
        foreach (var entry in core.RegionEntries)
        {
            if (entry.Holder is not null || !core.IsFirstOfSubject(entry))
            {
                continue;
            }
            if (core.Streams.FirstOrDefault(s => core.MayTake(s, entry)) is { } idle)
            {
                throw new ModelViolation($"stream {idle.Id} has room ({idle.Room}) while notice {entry.Sequence} is free for it");
            }
        }
        foreach (var stream in core.Streams.Where(s => s.Room > 0 && s.Buffer.Count > 0))
        {
            var first = stream.Buffer[0];
            var sendable = first.InRegion
                ? first.Holder is null && core.IsFirstOfSubject(first) && core.MayTake(stream, first)
                : !core.HasUnacknowledgedEarlier(first);
            if (sendable)
            {
                throw new ModelViolation($"replaying stream {stream.Id} has room while it owes notice {first.Sequence} and could send it");
            }
        }
    }

    /// <summary>Every notice that can go reaches a prompt subscriber within k redelivery timeouts, k being
    /// the streams that do not acknowledge promptly (one timeout with one hung connector; the issue asked
    /// for two), once a live prompt subscriber is on the delivering instance and the region has reached
    /// the notice.</summary>
    private void CheckLiveness()
    {
        var active = _shared ? _holder : 0;
        if (active < 0)
        {
            return;
        }
        var prompt = OpenStreams.Where(s => s.Instance == active && s.Behaviour == Behaviour.Prompt && !s.IsLease && s.Core.Cursor == FeedCoreStream.Live).ToList();
        if (prompt.Count == 0)
        {
            return;
        }
        var presentSince = prompt.Min(s => s.LiveSince ?? _now);
        foreach (var row in _db.Where(r => !r.Acknowledged && r.EligibleSince is not null && r.InRegionSince is not null))
        {
            // Bounded memory: a notice behind a backlog larger than the region waits its turn in
            // sequence order; the bound counts from when the region reached it.
            var start = new[] { row.EligibleSince!.Value, row.InRegionSince!.Value, presentSince, _disruptedAt }.Max();
            var others = _streams.Count(s => s.Instance == active && s.Behaviour != Behaviour.Prompt && s.OpenedAt <= _now && (s.ClosedAt ?? _now) >= start);
            var bound = Timeout * others + TimeSpan.FromMilliseconds(1);
            if (_now - start > bound)
            {
                throw new ModelViolation($"notice {row.Sequence} ({row.Subject}) can go since {(start - _disruptedAt).TotalSeconds:0.###} s after the last disruption but is unacknowledged after {(_now - start).TotalSeconds:0.###} s ({others} streams that do not acknowledge promptly)");
            }
        }
    }

    /// <summary>Live notices written to <paramref name="stream"/> that nobody has acknowledged yet.</summary>
    private IEnumerable<long> Unacknowledged(ModelStream stream) =>
        stream.Written.Where(w => !w.History && !_db[(int)w.Sequence - 1].Acknowledged).Select(w => w.Sequence).Distinct();

    private void UpdateEligibility()
    {
        foreach (var group in _db.Where(r => !r.Acknowledged).GroupBy(r => r.Subject))
        {
            var first = group.First();
            first.EligibleSince ??= _now;
        }
        foreach (var stream in OpenStreams)
        {
            if (stream.LiveSince is null && stream.Core.Cursor == FeedCoreStream.Live)
            {
                stream.LiveSince = _now;
            }
        }
    }

    private sealed class Instance(FeedCore core)
    {
        public FeedCore Core { get; } = core;
        public List<(RegionLoad Load, (List<StoredNotice> Rows, long Head)? Read)> RegionLoads { get; } = [];
        public List<(ReplayLoad Load, List<StoredNotice>? Read)> ReplayLoads { get; } = [];
        public List<FeedCoreStream> Woken { get; } = [];
    }

    private sealed class Row(long sequence, string subject, byte[] body)
    {
        public long Sequence { get; } = sequence;
        public string Subject { get; } = subject;
        public byte[] Body { get; set; } = body;
        public bool Acknowledged { get; set; }
        public bool Erased { get; set; }
        public DateTimeOffset? EligibleSince { get; set; }
        public DateTimeOffset? InRegionSince { get; set; }
    }

    private readonly record struct Sent(long Sequence, bool History, DateTimeOffset At, DateTimeOffset Due);

    private sealed class ModelStream(long id, int instance, Behaviour behaviour, int window, long replayFrom, DateTimeOffset openedAt, FeedCoreStream core)
    {
        public long Id { get; } = id;
        public int Instance { get; } = instance;
        public Behaviour Behaviour { get; } = behaviour;
        public int Window { get; } = window;
        public long ReplayFrom { get; } = replayFrom;
        public DateTimeOffset OpenedAt { get; } = openedAt;
        public DateTimeOffset? ClosedAt { get; set; }
        public DateTimeOffset? LiveSince { get; set; } = replayFrom == 0 ? openedAt : null;
        public FeedCoreStream Core { get; } = core;
        public bool Open { get; set; } = true;
        public List<Sent> Written { get; } = [];
        public long? CaughtUpHead { get; set; }

        /// <summary>A pull consumer's fetch (sealed once it has taken what it could).</summary>
        public bool IsLease { get; set; }

        /// <summary>Lease moves and restarts before the stream opened.</summary>
        public int Disruptions { get; init; }

        /// <summary>A replay owes its subscriber every notice from its start to the head it caught up at.</summary>
        public bool Owes(long sequence) => ReplayFrom > 0 && sequence >= ReplayFrom && sequence <= (CaughtUpHead ?? long.MaxValue);
    }
}

internal sealed class ModelViolation(string message) : Exception(message);
