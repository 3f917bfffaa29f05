using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace ExchangeGateway.Server.Limits;

/// <summary>Kestrel's connection and header limits from <see cref="LimitsOptions"/>. gRPC metadata is
/// small (a path, a content type, a deadline, a user agent), so the header limits sit well below
/// Kestrel's defaults to make a flood of headers cheap to refuse.</summary>
internal static class KestrelLimits
{
    public static void Apply(KestrelServerLimits kestrel, LimitsOptions limits)
    {
        kestrel.MaxConcurrentConnections = limits.MaxConnections > 0 ? limits.MaxConnections : null;
        kestrel.Http2.MaxStreamsPerConnection = limits.MaxStreamsPerConnection;
        kestrel.MaxRequestHeadersTotalSize = limits.MaxRequestHeadersTotalBytes;
        kestrel.MaxRequestHeaderCount = limits.MaxRequestHeaderCount;
        kestrel.Http2.MaxRequestHeaderFieldSize = limits.MaxRequestHeaderFieldBytes;
    }
}
