namespace ExchangeGateway.Client.Arrivals;

/// <summary>Settings of <see cref="DurableAnnouncer"/>.</summary>
public sealed record DurableAnnouncerOptions
{
    /// <summary>A pending announcement the gateway answers INTERNAL or UNKNOWN (a fault on its side, not a
    /// verdict on this announcement) is tried this many times, in later passes, before it is parked for a
    /// person to look at; meanwhile the announcements after it still go. One the gateway refuses outright
    /// (INVALID_ARGUMENT, FAILED_PRECONDITION, ...) is parked at once. An unreachable gateway parks nothing.</summary>
    public int MaxFailures { get; init; } = 5;

    /// <summary>The clock that dates what the outbox records (when an entry was queued, when parked).</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;
}

/// <summary>An announcement the outbox stopped sending: the gateway's reason, when, after how many tries.</summary>
public sealed record ParkedAnnouncement(string RequestId, string Reason, DateTimeOffset? ParkedAt, int Attempts);
