namespace ExchangeGateway.Server.Limits;

/// <summary>What the gateway allows one caller, one call and one connection (configuration section
/// <c>Gateway:Limits</c>). Every default is documented in the README. The defaults are generous enough
/// that <c>exgw bench</c> is not cut by them on this project's machine; an operator may lower them.</summary>
public sealed class LimitsOptions
{
    /// <summary>Requests per second an organisation may make, on average (token bucket refill rate).
    /// 0 turns the rate limit off. Ping is exempt; opening a feed stream counts once, acknowledgements
    /// inside a stream do not count.</summary>
    public double RequestsPerSecond { get; set; } = 1000;

    /// <summary>Requests an organisation may make at once above the average (token bucket size).</summary>
    public int RequestBurst { get; set; } = 2000;

    /// <summary>Notice feed streams (NoticeFeed.Subscribe) an organisation may hold open at once, for
    /// each feed it may open: COA 16, a municipal organisation serving 6 codes 96, counted over all
    /// its feeds and connections. 0 turns the limit off.</summary>
    public int MaxFeedStreamsPerFeed { get; set; } = 16;

    /// <summary>Longest a unary call may run on the server: a call whose client set no deadline, or a
    /// later one, gets this one (DEADLINE_EXCEEDED, the handler's cancellation token fires).
    /// Zero turns it off.</summary>
    public TimeSpan MaxUnaryCallDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Kestrel: most client connections open at once (0: no limit).</summary>
    public int MaxConnections { get; set; } = 2000;

    /// <summary>Kestrel: most HTTP/2 streams (calls) open at once on one connection; clients open more
    /// connections beyond it (the SDK does).</summary>
    public int MaxStreamsPerConnection { get; set; } = 100;

    /// <summary>Kestrel: largest total size of a request's headers (gRPC metadata included), bytes.</summary>
    public int MaxRequestHeadersTotalBytes { get; set; } = 16 * 1024;

    /// <summary>Kestrel: most headers in one request.</summary>
    public int MaxRequestHeaderCount { get; set; } = 64;

    /// <summary>Kestrel: largest single HTTP/2 header (name plus value, decoded), bytes.</summary>
    public int MaxRequestHeaderFieldBytes { get; set; } = 8 * 1024;
}
