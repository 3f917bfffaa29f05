using System.Collections.Concurrent;
using System.Security.Cryptography.X509Certificates;
using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace ExchangeGateway.Server.Feed;

/// <summary>The open feed streams and who holds them. A stream is authorised once, when it opens, and
/// may then stay open for days; so after new trust anchors, CRLs or a new organisation registry take
/// effect, every open stream is judged again and those no longer allowed are ended (a revoked
/// certificate with UNAUTHENTICATED, an organisation removed from the registry with PERMISSION_DENIED).
/// Streams of callers still allowed are not touched.</summary>
internal sealed partial class FeedAccessMonitor(
    CallerResolver resolver,
    ClientCertificateValidator validator,
    ILogger<FeedAccessMonitor> logger) : IReloadObserver
{
    private readonly ConcurrentDictionary<Watch, byte> _open = new();

    /// <summary>The streams being watched now.</summary>
    public int Count => _open.Count;

    /// <summary>Watches a stream until the returned handle is disposed; <paramref name="end"/> is
    /// called (at most once, from the reloading thread) if the holder is no longer allowed. Throws the
    /// refusal if a reload between the call's authorisation and now already disallows it.</summary>
    public IDisposable Add(X509Certificate2 certificate, string feed, Action<RpcException> end)
    {
        var watch = new Watch(this, certificate, validator.RetainedIntermediates(certificate), feed, end);
        _open[watch] = 0;
        if (resolver.Recheck(certificate, watch.Intermediates, feed) is { } refusal)
        {
            watch.Dispose();
            throw refusal;
        }
        return watch;
    }

    public void OnReloaded()
    {
        var ended = 0;
        foreach (var watch in _open.Keys)
        {
            if (resolver.Recheck(watch.Certificate, watch.Intermediates, watch.Feed) is { } refusal && _open.TryRemove(watch, out _))
            {
                LogEnding(logger, watch.Feed, watch.Certificate.Thumbprint, refusal.StatusCode);
                watch.End(refusal);
                ended++;
            }
        }
        LogRechecked(logger, _open.Count + ended, ended);
    }

    [LoggerMessage(EventId = 5002, Level = LogLevel.Warning, Message = "Ending a stream on feed {Feed}: client certificate {Thumbprint} is no longer allowed ({Status}).")]
    private static partial void LogEnding(ILogger logger, string feed, string thumbprint, StatusCode status);

    [LoggerMessage(EventId = 5003, Level = LogLevel.Information, Message = "Re-checked {Streams} open feed streams after a reload; ended {Ended}.")]
    private static partial void LogRechecked(ILogger logger, int streams, int ended);

    private sealed class Watch(FeedAccessMonitor monitor, X509Certificate2 certificate, X509Certificate2Collection? intermediates,
        string feed, Action<RpcException> end) : IDisposable
    {
        public X509Certificate2 Certificate { get; } = certificate;

        public X509Certificate2Collection? Intermediates { get; } = intermediates;

        public string Feed { get; } = feed;

        public void End(RpcException refusal) => end(refusal);

        public void Dispose() => monitor._open.TryRemove(this, out _);
    }
}
