using ExchangeGateway.Server.Feed;
using Google.Protobuf.WellKnownTypes;

namespace ExchangeGateway.Server.Storage;

/// <summary>What building a change needs and no more: the caller, one "now" for every row it writes,
/// and the outbox for the notices it causes. A change built on the request thread (a new arrival) has
/// only this; a unit of work that reads and changes stored rows gets a <see cref="WriteContext"/>.</summary>
internal class ChangeContext(Caller caller, DateTime now, NoticeOutbox outbox)
{
    public Caller Caller { get; } = caller;

    /// <summary>The time of this change, UTC.</summary>
    public DateTime Now { get; } = now;

    public Timestamp NowTimestamp => Timestamp.FromDateTime(Now);

    public NoticeOutbox Outbox { get; } = outbox;
}
