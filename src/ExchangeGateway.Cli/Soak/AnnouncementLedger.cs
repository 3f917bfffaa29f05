using System.Collections.Concurrent;
using ExchangeGateway.Contracts.V1;

namespace ExchangeGateway.Cli.Soak;

/// <summary>What became of an announcement, as its client saw it.</summary>
internal enum AnnouncementOutcome
{
    /// <summary>The call has not returned yet.</summary>
    InFlight,

    /// <summary>The gateway answered OK (possibly only when the request_id was sent again).</summary>
    Ok,

    /// <summary>Every attempt failed; the gateway may or may not have stored it.</summary>
    Error,
}

/// <summary>One announcement with its request_id, as a client sent it.</summary>
internal sealed class Announcement(int client, string requestId, ArrivalDetails details)
{
    public int Client { get; } = client;

    public string RequestId { get; } = requestId;

    public ArrivalDetails Details { get; } = details;

    public AnnouncementOutcome Outcome { get; set; } = AnnouncementOutcome.InFlight;

    /// <summary>The arrival id of the OK answer.</summary>
    public string? ArrivalId { get; set; }

    /// <summary>Why the last call failed.</summary>
    public string? Error { get; set; }

    /// <summary>OK only when the request_id was sent again after the run (the first call failed).</summary>
    public bool ConfirmedOnResend { get; set; }
}

/// <summary>Every announcement of a run and its outcome, thread-safe.</summary>
internal sealed class AnnouncementLedger
{
    private readonly ConcurrentQueue<Announcement> _all = new();
    private long _ok;
    private long _errors;

    public long OkCount => Interlocked.Read(ref _ok);

    public long ErrorCount => Interlocked.Read(ref _errors);

    public IReadOnlyList<Announcement> All => [.. _all];

    public Announcement Begin(int client, string requestId, ArrivalDetails details)
    {
        var announcement = new Announcement(client, requestId, details);
        _all.Enqueue(announcement);
        return announcement;
    }

    public void Confirm(Announcement announcement, string arrivalId, bool onResend)
    {
        lock (announcement)
        {
            if (announcement.Outcome == AnnouncementOutcome.Error)
            {
                Interlocked.Decrement(ref _errors);
            }
            announcement.Outcome = AnnouncementOutcome.Ok;
            announcement.ArrivalId = arrivalId;
            announcement.ConfirmedOnResend = onResend;
        }
        Interlocked.Increment(ref _ok);
    }

    public void Fail(Announcement announcement, string error)
    {
        lock (announcement)
        {
            if (announcement.Outcome != AnnouncementOutcome.Error)
            {
                Interlocked.Increment(ref _errors);
            }
            announcement.Outcome = AnnouncementOutcome.Error;
            announcement.Error = error;
        }
    }
}
