using ExchangeGateway.Server.Limits;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace ExchangeGateway.Tests.Limits;

public sealed class KestrelLimitsTests
{
    [Fact]
    public void Apply_Defaults_SetsConnectionAndHeaderLimits()
    {
        var kestrel = new KestrelServerOptions();

        KestrelLimits.Apply(kestrel.Limits, new LimitsOptions());

        Assert.Equal(2000, kestrel.Limits.MaxConcurrentConnections);
        Assert.Equal(100, kestrel.Limits.Http2.MaxStreamsPerConnection);
        Assert.Equal(16 * 1024, kestrel.Limits.MaxRequestHeadersTotalSize);
        Assert.Equal(64, kestrel.Limits.MaxRequestHeaderCount);
        Assert.Equal(8 * 1024, kestrel.Limits.Http2.MaxRequestHeaderFieldSize);
    }

    [Fact]
    public void Apply_MaxConnectionsZero_MeansNoLimit()
    {
        var kestrel = new KestrelServerOptions();

        KestrelLimits.Apply(kestrel.Limits, new LimitsOptions { MaxConnections = 0 });

        Assert.Null(kestrel.Limits.MaxConcurrentConnections);
    }
}
