using System.Collections.Concurrent;
using System.Diagnostics;

namespace ExchangeGateway.Cli.Bench;

/// <summary>Follows a set of announcements by case reference: when each was sent, when its
/// ArrivalAnnounced notice reached the municipality's stream, and when the acknowledgement of that
/// notice was confirmed durable by the gateway; with <paramref name="everyFeed"/> also the IND's
/// TravellersAnnounced and COA's AnnouncementReceived each announcement causes: then "all confirmed"
/// means every notice on every feed.</summary>
internal sealed class NoticeTracker(bool everyFeed = false)
{
    private readonly ConcurrentDictionary<string, long> _sentAt = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, bool> _received = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, bool> _arrivals = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, bool> _indConfirmed = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, bool> _coaConfirmed = new(StringComparer.Ordinal);
    private readonly TaskCompletionSource _allReceived = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _allConfirmed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _receivedCount;
    private int _confirmedCount;
    private int _expected = int.MaxValue;

    public LatencyLog EndToEnd { get; } = new();

    public long LastReceivedAt { get; private set; }

    public long LastConfirmedAt { get; private set; }

    public int Received => Volatile.Read(ref _receivedCount);

    public int Confirmed => Volatile.Read(ref _confirmedCount);

    public Task AllReceived => _allReceived.Task;

    public Task AllConfirmed => _allConfirmed.Task;

    /// <summary>Call just before the announce call.</summary>
    public void Sending(string caseReference) => _sentAt[caseReference] = Stopwatch.GetTimestamp();

    /// <summary>The announcement was answered with this arrival id.</summary>
    public void Answered(string arrivalId)
    {
        _arrivals.TryAdd(arrivalId, true);
        Check();
    }

    // The IND's notice names the arrival by id only, and its acknowledgement can be confirmed before
    // the announce call's answer (with that id) reaches this process: every confirmation is kept, and
    // those of this run's arrivals are counted when the rest is complete.
    public void OnIndConfirmed(string arrivalId)
    {
        if (_indConfirmed.TryAdd(arrivalId, true))
        {
            LastConfirmedAt = Stopwatch.GetTimestamp();
            Check();
        }
    }

    public void OnCoaConfirmed(string caseReference)
    {
        if (_sentAt.ContainsKey(caseReference) && _coaConfirmed.TryAdd(caseReference, true))
        {
            LastConfirmedAt = Stopwatch.GetTimestamp();
            Check();
        }
    }

    public void OnReceived(string caseReference, long timestamp)
    {
        if (!_sentAt.TryGetValue(caseReference, out var sentAt) || !_received.TryAdd(caseReference, true))
        {
            return;
        }
        EndToEnd.Add(LatencyLog.Since(sentAt, timestamp));
        LastReceivedAt = timestamp;
        Interlocked.Increment(ref _receivedCount);
        Check();
    }

    public void OnConfirmed(string caseReference)
    {
        if (!_received.ContainsKey(caseReference))
        {
            return;
        }
        LastConfirmedAt = Stopwatch.GetTimestamp();
        Interlocked.Increment(ref _confirmedCount);
        Check();
    }

    /// <summary>How many announcements were sent (and answered OK): the number to wait for.</summary>
    public void Expect(long count)
    {
        Volatile.Write(ref _expected, (int)count);
        Check();
    }

    private void Check()
    {
        var expected = Volatile.Read(ref _expected);
        if (Received >= expected)
        {
            _allReceived.TrySetResult();
        }
        if (Confirmed >= expected && (!everyFeed || (_coaConfirmed.Count >= expected && _indConfirmed.Keys.Count(_arrivals.ContainsKey) >= expected)))
        {
            _allConfirmed.TrySetResult();
        }
    }
}
