using System.Diagnostics;
using ExchangeGateway.Contracts.V1;

namespace ExchangeGateway.EndToEnd.Fixtures;

/// <summary>What every raw stream on one feed received, acknowledged and had confirmed, in the order it
/// happened (one clock, one lock), checked afterwards against the guarantee the feed engine's model
/// test checks in memory: here over real processes, real TLS and a real database.</summary>
/// <remarks>Times are taken when the client sees an event, so each check allows
/// <see cref="Slack"/> for the time between the server acting and the client seeing it, always in
/// the direction that can only miss a violation, never invent one.</remarks>
public sealed class FeedHistory(TimeSpan redeliveryTimeout)
{
    /// <summary>More than a frame takes from the server's decision to the client's reading it on one
    /// machine, even a busy CI machine running two gateways, PostgreSQL and the test.</summary>
    public static readonly TimeSpan Slack = TimeSpan.FromSeconds(1);

    private readonly Lock _gate = new();
    private readonly List<Event> _events = [];
    private readonly long _started = Stopwatch.GetTimestamp();
    private readonly DateTime _startedAt = DateTime.UtcNow;

    private enum Kind { Received, AcknowledgementSent, Confirmed, Closed }

    private readonly record struct Event(TimeSpan At, Kind Kind, int Stream, ulong Sequence, string Subject, uint Window);

    public void Received(int stream, Notice notice, uint window) =>
        Add(new Event(default, Kind.Received, stream, notice.Sequence, notice.Subject, window));

    public void AcknowledgementSent(int stream, ulong sequence) =>
        Add(new Event(default, Kind.AcknowledgementSent, stream, sequence, "", 0));

    public void Confirmed(int stream, IEnumerable<ulong> sequences)
    {
        foreach (var sequence in sequences)
        {
            Add(new Event(default, Kind.Confirmed, stream, sequence, "", 0));
        }
    }

    /// <summary>The stream is gone (its process killed, or the client hung up): what it held is free.</summary>
    public void Closed(int stream) => Add(new Event(default, Kind.Closed, stream, 0, "", 0));

    /// <summary>Sequences whose acknowledgement the gateway has confirmed, by subject.</summary>
    public Dictionary<string, int> ConfirmedBySubject()
    {
        lock (_gate)
        {
            var subjects = _events.Where(e => e.Kind == Kind.Received).GroupBy(e => e.Sequence).ToDictionary(g => g.Key, g => g.First().Subject);
            return _events.Where(e => e.Kind == Kind.Confirmed && subjects.ContainsKey(e.Sequence))
                .Select(e => e.Sequence).Distinct()
                .GroupBy(s => subjects[s]).ToDictionary(g => g.Key, g => g.Count());
        }
    }

    public (int Received, int Redelivered) Counts()
    {
        lock (_gate)
        {
            var received = _events.Where(e => e.Kind == Kind.Received).ToList();
            return (received.Count, received.Count - received.Select(e => e.Sequence).Distinct().Count());
        }
    }

    /// <summary>Every breach of the guarantee, described; empty when it held.</summary>
    /// <remarks>Checked: an unacknowledged notice is outstanding on at most one open stream (it goes to
    /// another, or back to the same, only after its redelivery timeout); a notice whose acknowledgement
    /// was confirmed is never sent again (no stream here replays); a notice about an arrival is sent
    /// only after every earlier notice about that arrival was acknowledged; a stream never holds more
    /// than its window.</remarks>
    public IReadOnlyList<string> Violations()
    {
        List<Event> events;
        lock (_gate)
        {
            events = [.. _events];
        }
        var subjects = events.Where(e => e.Kind == Kind.Received).GroupBy(e => e.Sequence).ToDictionary(g => g.Key, g => g.First().Subject);
        var bySubject = subjects.GroupBy(p => p.Value).ToDictionary(g => g.Key, g => g.Select(p => p.Key).Order().ToList());
        var held = new Dictionary<int, Dictionary<ulong, TimeSpan>>(); // stream -> sequence -> received at
        var acknowledged = new HashSet<ulong>();
        var confirmed = new HashSet<ulong>();
        var violations = new List<string>();
        var outstandingFor = redeliveryTimeout - Slack;
        foreach (var e in events)
        {
            switch (e.Kind)
            {
                case Kind.Received:
                    if (confirmed.Contains(e.Sequence))
                    {
                        violations.Add($"{e.At.TotalMilliseconds:F0} ms: #{e.Sequence} sent on stream {e.Stream} after its acknowledgement was confirmed");
                    }
                    foreach (var (stream, notices) in held)
                    {
                        if (notices.TryGetValue(e.Sequence, out var since) && e.At - since < outstandingFor)
                        {
                            violations.Add($"{e.At.TotalMilliseconds:F0} ms: #{e.Sequence} sent on stream {e.Stream} while outstanding on stream {stream} for {(e.At - since).TotalMilliseconds:F0} ms");
                        }
                    }
                    foreach (var earlier in bySubject[e.Subject].TakeWhile(s => s < e.Sequence))
                    {
                        if (!acknowledged.Contains(earlier))
                        {
                            violations.Add($"{e.At.TotalMilliseconds:F0} ms: #{e.Sequence} about {e.Subject} sent on stream {e.Stream} before #{earlier} about it was acknowledged");
                        }
                    }
                    var own = Held(held, e.Stream);
                    own[e.Sequence] = e.At;
                    var outstanding = own.Count(p => e.At - p.Value < outstandingFor);
                    if (outstanding > e.Window)
                    {
                        violations.Add($"{e.At.TotalMilliseconds:F0} ms: stream {e.Stream} holds {outstanding} notices, its window is {e.Window}");
                    }
                    break;
                case Kind.AcknowledgementSent:
                    acknowledged.Add(e.Sequence);
                    foreach (var notices in held.Values)
                    {
                        notices.Remove(e.Sequence);
                    }
                    break;
                case Kind.Confirmed:
                    confirmed.Add(e.Sequence);
                    break;
                case Kind.Closed:
                    held.Remove(e.Stream);
                    break;
            }
        }
        return violations;
    }

    /// <summary>The sequences a list of violations names, for <see cref="Describe"/>.</summary>
    public IEnumerable<ulong> SequencesIn(IEnumerable<string> violations) =>
        violations.SelectMany(v => System.Text.RegularExpressions.Regex.Matches(v, @"#(\d+)").Select(m => ulong.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture))).Distinct();

    /// <summary>Every event about <paramref name="sequences"/>, and every stream's closing, in order.</summary>
    public string Describe(IReadOnlyCollection<ulong> sequences)
    {
        lock (_gate)
        {
            return $"(0 ms = {_startedAt:HH:mm:ss.fff} UTC)\n" + string.Join("\n", _events.Where(e => e.Kind == Kind.Closed || sequences.Contains(e.Sequence))
                .Select(e => $"{e.At.TotalMilliseconds:F0} ms stream {e.Stream} {e.Kind} #{e.Sequence} {e.Subject}"));
        }
    }

    private static Dictionary<ulong, TimeSpan> Held(Dictionary<int, Dictionary<ulong, TimeSpan>> held, int stream)
    {
        if (!held.TryGetValue(stream, out var notices))
        {
            held[stream] = notices = [];
        }
        return notices;
    }

    private void Add(Event e)
    {
        lock (_gate)
        {
            _events.Add(e with { At = Stopwatch.GetElapsedTime(_started) });
        }
    }

}
