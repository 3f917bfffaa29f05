using System.Data.Common;
using System.Threading.Channels;
using ExchangeGateway.Server.Feed.Engine;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ExchangeGateway.Server.Feed;

/// <summary>On a database several gateway instances share, one instance at a time delivers a feed: the
/// one holding its lease (<c>FeedLeases</c>). So outstanding-once, per-arrival order and the choice of
/// stream stay exact in one process's memory, and delivery costs no database round trip per notice.
/// An instance with streams on a feed takes the lease when it is free or has expired and renews it
/// while it has streams. It lets go when its last stream closes (other instances hear of it at once on
/// PostgreSQL), and hands the feed over when every stream it has lets notices time out while another
/// instance has asked for the feed with a stream that has not: it sends nothing more, and lets go once
/// what it sent was acknowledged or timed out, so a notice is never outstanding on two instances'
/// streams at once. An instance that cannot renew in time, or that stops, first ends its streams on
/// the feed (UNAVAILABLE; the subscribers reconnect) and stops delivering before the lease can be taken
/// over. Subscribers connected to the other instances get notices in turn: their streams stay open and
/// receive nothing until delivery moves to them.</summary>
internal sealed partial class FeedLeases : BackgroundService
{
    /// <summary>How long a lease holds without renewal; after a crash, delivery moves within this.</summary>
    public static readonly TimeSpan Duration = TimeSpan.FromSeconds(10);

    private static readonly TimeSpan Round = TimeSpan.FromSeconds(2);

    // Stop delivering this long before the lease could be taken over. A round is abandoned after
    // Round and the deadline checked after every round, at least every 2 x Round; the rest is slack.
    private static readonly TimeSpan Margin = TimeSpan.FromSeconds(5);

    private readonly GatewayDbContextFactory _contexts;
    private readonly FeedHub _hub;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly string _instance = Guid.NewGuid().ToString();
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly Dictionary<string, DateTimeOffset> _deliverUntil = new(StringComparer.Ordinal);

    public FeedLeases(GatewayDbContextFactory contexts, FeedHub hub, TimeProvider time, ILogger<FeedLeases> logger)
    {
        _contexts = contexts;
        _hub = hub;
        _time = time;
        _logger = logger;
        if (contexts.IsShared)
        {
            hub.StreamsChanged += _ => Wake();
        }
    }

    /// <summary>Another instance let go of a feed's lease: look at once.</summary>
    public void Released(string feed) => Wake();

    private void Wake() => _wake.Writer.TryWrite(true);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!_contexts.IsShared)
        {
            return;
        }
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                // A round that cannot finish in time (the database unreachable) is abandoned, so the
                // deadline below is checked whatever the database does.
                using var round = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                round.CancelAfter(Round);
                await RoundAsync(round.Token);
            }
            catch (Exception exception) when (!stoppingToken.IsCancellationRequested)
            {
                LogRoundFailed(_logger, exception);
            }
            StopUnrenewed();
            // Wall-clock cadence: leases are about other processes, not the business clock.
            using var next = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            next.CancelAfter(Round);
            try
            {
                await _wake.Reader.WaitToReadAsync(next.Token);
                _wake.Reader.TryRead(out _);
            }
            catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
            {
            }
        }
    }

    private async Task RoundAsync(CancellationToken cancellationToken)
    {
        await using var db = _contexts.CreateDbContext();
        var connection = db.Database.GetDbConnection();
        await connection.OpenAsync(cancellationToken);
        var statements = _contexts.Statements;
        var engines = _hub.Engines;

        // Renew what is held; what is not returned was lost (it expired and another instance took it).
        var held = engines.Where(e => e.Active).ToList();
        if (held.Count > 0)
        {
            var sent = _time.GetUtcNow();
            var renewed = (await statements.RenewLeasesAsync(connection, [.. held.Select(e => e.Feed)], _instance, Duration, 2 * Round, cancellationToken))
                .ToDictionary(r => r.Feed, r => r.Wanted, StringComparer.Ordinal);
            foreach (var engine in held)
            {
                if (!renewed.TryGetValue(engine.Feed, out var wanted))
                {
                    Lost(engine); // it expired and another instance took it
                }
                else if (engine.StreamCount == 0)
                {
                    await ReleaseAsync(connection, engine, cancellationToken);
                }
                else if (wanted && engine.AllStreamsSuspect)
                {
                    // Nobody here acknowledges while another instance has a stream that does: hand over.
                    engine.BeginHandover();
                    if (engine.HandedOver)
                    {
                        await ReleaseAsync(connection, engine, cancellationToken);
                    }
                    else
                    {
                        _deliverUntil[engine.Feed] = sent + Duration - Margin;
                    }
                }
                else
                {
                    engine.CancelHandover();
                    _deliverUntil[engine.Feed] = sent + Duration - Margin;
                }
            }
        }

        foreach (var engine in engines.Where(e => !e.Active && e.StreamCount > 0))
        {
            var sent = _time.GetUtcNow();
            if (await statements.AcquireLeaseAsync(connection, engine.Feed, _instance, Duration, cancellationToken))
            {
                _deliverUntil[engine.Feed] = sent + Duration - Margin;
                engine.Activate();
                LogAcquired(_logger, engine.Feed);
            }
            else if (engine.HasTrustedStream)
            {
                await statements.WantLeaseAsync(connection, engine.Feed, _instance, cancellationToken);
            }
        }

    }

    /// <summary>A lease that could not be renewed in time: stop before another instance may start.</summary>
    private void StopUnrenewed()
    {
        var now = _time.GetUtcNow();
        foreach (var engine in _hub.Engines.Where(e => e.Active))
        {
            if (_deliverUntil.TryGetValue(engine.Feed, out var until) && now > until)
            {
                Lost(engine);
            }
        }
    }

    private void Lost(FeedEngine engine)
    {
        engine.Lost();
        _deliverUntil.Remove(engine.Feed);
        LogLost(_logger, engine.Feed);
    }

    /// <summary>Lets go of a lease while nothing is outstanding here (no streams, or handed over).</summary>
    private async Task ReleaseAsync(DbConnection connection, FeedEngine engine, CancellationToken cancellationToken)
    {
        var streams = engine.StreamCount;
        engine.Deactivate();
        _deliverUntil.Remove(engine.Feed);
        await _contexts.Statements.ReleaseLeaseAsync(connection, engine.Feed, _instance, cancellationToken);
        LogReleased(_logger, engine.Feed, streams);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        if (!_contexts.IsShared)
        {
            return;
        }
        // Let go at once, so another instance takes the feeds over without waiting for expiry.
        try
        {
            await using var db = _contexts.CreateDbContext();
            var connection = db.Database.GetDbConnection();
            await connection.OpenAsync(cancellationToken);
            foreach (var engine in _hub.Engines.Where(e => e.Active))
            {
                engine.Lost(); // its streams end here, so nothing sent here stays outstanding
                _deliverUntil.Remove(engine.Feed);
                await _contexts.Statements.ReleaseLeaseAsync(connection, engine.Feed, _instance, cancellationToken);
            }
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            LogRoundFailed(_logger, exception);
        }
    }

    [LoggerMessage(EventId = 5004, Level = LogLevel.Information, Message = "This instance delivers feed {Feed} now.")]
    private static partial void LogAcquired(ILogger logger, string feed);

    [LoggerMessage(EventId = 5005, Level = LogLevel.Information, Message = "This instance let go of feed {Feed} ({Streams} streams open here).")]
    private static partial void LogReleased(ILogger logger, string feed, int streams);

    [LoggerMessage(EventId = 5006, Level = LogLevel.Warning, Message = "This instance lost the lease of feed {Feed}; another instance delivers it now.")]
    private static partial void LogLost(ILogger logger, string feed);

    [LoggerMessage(EventId = 5007, Level = LogLevel.Warning, Message = "Renewing or taking feed leases failed; will retry.")]
    private static partial void LogRoundFailed(ILogger logger, Exception exception);
}
