using ExchangeGateway.Server.Audit;
using Microsoft.Extensions.Logging;

namespace ExchangeGateway.Server.Feed.Engine;

/// <summary>Drives the <see cref="FeedCore"/> of one feed in this instance: every event enters it under
/// one lock with the time from the <see cref="TimeProvider"/>; what the core asks for afterwards is
/// done at once and cheaply (streams woken, reads started on the thread pool, the one timer of the
/// feed set to the next redelivery). A redelivery already due is handled in the same step, so no timer
/// is ever set to fire at once.</summary>
internal sealed partial class FeedEngine : IAsyncDisposable
{
    private static readonly TimeSpan ReadRetryDelay = TimeSpan.FromSeconds(1);

    private readonly Lock _gate = new();
    private readonly FeedCore _core;
    private readonly FeedReads _reads;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ITimer _timer;
    private readonly Action<FeedEngine> _streamsChanged;
    private readonly Dictionary<FeedCoreStream, FeedSubscription> _subscriptions = [];
    private readonly List<FeedCoreStream> _woken = [];
    private readonly List<ReplayLoad> _replays = [];
    private readonly List<FeedCoreStream> _endedLeases = [];
    private readonly CancellationTokenSource _stopping = new();
    private long _nextStreamId;
    private DateTimeOffset? _timerAt;
    private long _lastAcknowledgedTicks;
    private bool _disposed;

    public FeedEngine(string feed, FeedCoreSettings settings, FeedReads reads, TimeProvider time, ILogger logger, Action<FeedEngine> streamsChanged)
    {
        Feed = feed;
        _core = new FeedCore(settings);
        _reads = reads;
        _time = time;
        _logger = logger;
        _streamsChanged = streamsChanged;
        _timer = time.CreateTimer(_ => Run(static (core, now) => core.Tick(now)), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    public string Feed { get; }

    /// <summary>Whether this instance delivers the feed now.</summary>
    public bool Active
    {
        get
        {
            lock (_gate)
            {
                return _core.Active;
            }
        }
    }

    public int StreamCount
    {
        get
        {
            lock (_gate)
            {
                return _core.Streams.Count;
            }
        }
    }

    /// <summary>Every open stream let a notice time out since it last acknowledged.</summary>
    public bool AllStreamsSuspect
    {
        get
        {
            lock (_gate)
            {
                return _core.AllStreamsSuspect;
            }
        }
    }

    /// <summary>Some open stream has not let a notice time out since it last acknowledged.</summary>
    public bool HasTrustedStream
    {
        get
        {
            lock (_gate)
            {
                return _core.HasTrustedStream;
            }
        }
    }

    public FeedSubscription Attach(int window, long fromSequence, Caller caller, AuditScope? audit)
    {
        FeedSubscription subscription;
        lock (_gate)
        {
            var stream = _core.Attach(++_nextStreamId, window, fromSequence, _time.GetUtcNow());
            subscription = new FeedSubscription(this, stream, caller, audit);
            _subscriptions[stream] = subscription;
            Effects();
        }
        _streamsChanged(this);
        return subscription;
    }

    public void Detach(FeedSubscription subscription)
    {
        lock (_gate)
        {
            _subscriptions.Remove(subscription.Stream);
            _core.Detach(subscription.Stream, _time.GetUtcNow());
            Effects();
        }
        _streamsChanged(this);
    }

    /// <summary>A pull consumer's fetch: a lease of up to <paramref name="max"/> notices, waiting up to
    /// <paramref name="wait"/> when none is free. The lease is a stream of its own in the core, so what
    /// it took is outstanding on it alone (never on a stream or another lease at the same time) until
    /// acknowledged or timed out; once the fetch answers it is sealed and takes nothing more.</summary>
    public async Task<List<FeedMessage>> FetchAsync(int max, TimeSpan wait, Caller caller, AuditScope? audit, CancellationToken cancellationToken)
    {
        var lease = Attach(max, fromSequence: 0, caller, audit);
        var taken = new List<FeedMessage>(max);
        var patient = wait > TimeSpan.Zero;
        try
        {
            using var waited = new CancellationTokenSource(patient ? wait : Timeout.InfiniteTimeSpan, _time);
            using var waiting = CancellationTokenSource.CreateLinkedTokenSource(waited.Token, cancellationToken);
            while (true)
            {
                while (taken.Count < max && TakeNext(lease) is { IsNotice: true } message)
                {
                    taken.Add(message);
                    Written(lease);
                }
                if (taken.Count > 0 || cancellationToken.IsCancellationRequested || ((!patient || waited.IsCancellationRequested) && Settled))
                {
                    return taken;
                }
                try
                {
                    // Past the wait (or asked not to wait), only for the region to be loaded.
                    await lease.WaitAsync(patient && !waited.IsCancellationRequested ? waiting.Token : cancellationToken);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    // Waited out: one last look, then answer with what there is.
                }
            }
        }
        finally
        {
            Run((core, now) => core.Seal(lease.Stream, now));
        }
    }

    /// <summary>See <see cref="FeedCore.Settled"/>.</summary>
    private bool Settled
    {
        get
        {
            lock (_gate)
            {
                return _core.Settled;
            }
        }
    }

    /// <summary>A subscription of no stream, for acknowledgements that come without one (a pull
    /// consumer's): they count for the feed whoever took the notices.</summary>
    public FeedSubscription Unattached(Caller caller, AuditScope? audit) =>
        new(this, new FeedCoreStream(id: 0, window: 1, fromSequence: 0) { IsOpen = false }, caller, audit);

    public FeedMessage? TakeNext(FeedSubscription subscription)
    {
        lock (_gate)
        {
            return FeedCore.TakeNext(subscription.Stream);
        }
    }

    public void Written(FeedSubscription subscription) => Run((core, now) => core.Written(subscription.Stream, now));

    /// <summary>The local writer committed these notices on this feed (ascending).</summary>
    public void Committed(IReadOnlyList<StoredNotice> notices) => Run((core, now) => core.Committed(notices, now));

    /// <summary>Another instance committed up to <paramref name="head"/>.</summary>
    public void HeadMoved(long head) => Run((core, now) => core.HeadMoved(head, now));

    /// <summary>Durably acknowledged, through <paramref name="via"/> (null: another instance).</summary>
    public void Acknowledged(IReadOnlyCollection<long> sequences, FeedSubscription? via)
    {
        if (via is not null && sequences.Count > 0)
        {
            Interlocked.Exchange(ref _lastAcknowledgedTicks, _time.GetUtcNow().UtcTicks);
        }
        Run((core, now) => core.Acknowledged(sequences, via?.Stream, now));
    }

    /// <summary>When a subscriber of this instance last acknowledged (stream, pull or webhook); null when none has.</summary>
    public DateTime? LastAcknowledgedAt =>
        Interlocked.Read(ref _lastAcknowledgedTicks) is var ticks and > 0 ? new DateTime(ticks, DateTimeKind.Utc) : null;

    /// <summary>Retention redacted these stored notices.</summary>
    public void Redacted(IReadOnlyCollection<long> sequences) => Run((core, _) => core.Redacted(sequences));

    /// <summary>This instance delivers the feed from now on.</summary>
    public void Activate() => Run(static (core, now) => core.Activate(now));

    /// <summary>Another instance delivers the feed from now on; nothing is outstanding here (the feed was
    /// handed over, or no stream is open).</summary>
    public void Deactivate() => Run(static (core, _) => core.Deactivate());

    /// <summary>Delivery is to move to another instance once what was written here is acknowledged or
    /// timed out (<see cref="HandedOver"/>).</summary>
    public void BeginHandover() => Run(static (core, _) => core.BeginHandover());

    public void CancelHandover() => Run(static (core, now) => core.CancelHandover(now));

    public bool HandedOver
    {
        get
        {
            lock (_gate)
            {
                return _core.HandedOver;
            }
        }
    }

    /// <summary>The lease went without a handover (it could not be renewed in time): delivery stops and
    /// every stream here ends with UNAVAILABLE, so that nothing sent here stays outstanding on an open
    /// stream while another instance delivers. The subscribers reconnect.</summary>
    public void Lost()
    {
        List<FeedSubscription> ending;
        lock (_gate)
        {
            _core.Deactivate();
            ending = [.. _subscriptions.Values];
            Effects();
        }
        var reason = GatewayErrors.Unavailable($"This gateway instance no longer delivers feed {Feed}; reconnect.", "FEED_MOVED");
        foreach (var subscription in ending)
        {
            subscription.End(reason);
        }
    }

    /// <summary>Another instance acknowledged or redacted notices of this feed: read what is
    /// unacknowledged again and let the core take in the difference.</summary>
    public async Task ResyncAsync(CancellationToken cancellationToken)
    {
        long through;
        lock (_gate)
        {
            if (!_core.Active || _core.Streams.Count == 0)
            {
                return;
            }
            through = _core.LoadedThrough;
        }
        var rows = await _reads.UnacknowledgedThroughAsync(Feed, through, cancellationToken);
        Run((core, now) => core.Resynced(rows, through, now));
    }

    /// <summary>After signals may have been missed (a listener reconnected): the head and what is
    /// unacknowledged are read again.</summary>
    public async Task RefreshAsync(CancellationToken cancellationToken)
    {
        try
        {
            HeadMoved(await _reads.HeadAsync(Feed, cancellationToken));
            await ResyncAsync(cancellationToken);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            LogReadFailed(_logger, Feed, exception);
        }
    }

    /// <summary>Per open stream, the messages it holds in memory (queued or being written).</summary>
    public IReadOnlyList<int> Queued()
    {
        lock (_gate)
        {
            return [.. _core.Streams.Select(s => s.Queue.Count + (s.Writing is null ? 0 : 1))];
        }
    }

    private void Run(Action<FeedCore, DateTimeOffset> change)
    {
        bool leasesEnded;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }
            change(_core, _time.GetUtcNow());
            Effects();
            leasesEnded = _endedLeases.Count > 0;
            _endedLeases.Clear();
        }
        if (leasesEnded)
        {
            _streamsChanged(this);
        }
    }

    /// <summary>Under the lock: redeliveries already due, then what the core asked for.</summary>
    private void Effects()
    {
        var now = _time.GetUtcNow();
        while (_core.NextDue is { } due && due <= now)
        {
            _core.Tick(now);
        }
        _core.TakeEndedLeases(_endedLeases);
        foreach (var lease in _endedLeases)
        {
            _subscriptions.Remove(lease);
        }
        _core.TakeWoken(_woken);
        foreach (var stream in _woken)
        {
            if (_subscriptions.TryGetValue(stream, out var subscription))
            {
                subscription.Wake();
            }
        }
        _woken.Clear();
        if (_core.TakeRegionLoad() is { } region)
        {
            _ = Task.Run(() => LoadRegionAsync(region));
        }
        _core.TakeReplayLoads(_replays);
        foreach (var replay in _replays)
        {
            _ = Task.Run(() => LoadReplayAsync(replay));
        }
        _replays.Clear();
        var next = _core.NextDue;
        if (next != _timerAt)
        {
            _timerAt = next;
            _timer.Change(next is { } at ? at - now : Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        }
    }

    private async Task LoadRegionAsync(RegionLoad load)
    {
        try
        {
            var (rows, head) = await _reads.RegionAsync(Feed, load.After, load.Limit, _stopping.Token);
            Run((core, now) => core.RegionLoaded(load, rows, head, now));
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
        }
        catch (Exception exception)
        {
            // Storage trouble: the notices stay in the database; ask again shortly.
            LogReadFailed(_logger, Feed, exception);
            await DelayAsync();
            Run((core, now) => core.RegionLoadFailed(now));
        }
    }

    private async Task LoadReplayAsync(ReplayLoad load)
    {
        try
        {
            var rows = await _reads.RangeAsync(Feed, load.From, load.To, _stopping.Token);
            Run((core, now) => core.ReplayLoaded(load, rows, now));
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
        }
        catch (Exception exception)
        {
            LogReadFailed(_logger, Feed, exception);
            await DelayAsync();
            Run((core, now) => core.ReplayLoadFailed(load, now));
        }
    }

    private async Task DelayAsync()
    {
        try
        {
            await Task.Delay(ReadRetryDelay, _time, _stopping.Token);
        }
        catch (OperationCanceledException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        lock (_gate)
        {
            _disposed = true;
        }
        await _stopping.CancelAsync();
        await _timer.DisposeAsync();
        _stopping.Dispose();
    }

    [LoggerMessage(EventId = 5001, Level = LogLevel.Warning, Message = "Reading feed {Feed} failed; retrying shortly.")]
    private static partial void LogReadFailed(ILogger logger, string feed, Exception exception);
}
