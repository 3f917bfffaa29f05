using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace ExchangeGateway.Server.Limits;

/// <summary>A token bucket per organisation: <see cref="LimitsOptions.RequestsPerSecond"/> tokens a
/// second, at most <see cref="LimitsOptions.RequestBurst"/> saved up; a request takes one or is
/// refused. Keyed by organisation id, so the buckets are as many as the registry has organisations
/// (an attacker cannot add keys), and an organisation's certificates share one bucket. A granted
/// request allocates nothing; time comes from the injected <see cref="TimeProvider"/>.</summary>
internal sealed class OrganisationRateLimiter
{
    private readonly ConcurrentDictionary<string, TokenBucket> _buckets = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;
    private readonly double _tokensPerTick;
    private readonly double _burst;

    public OrganisationRateLimiter(TimeProvider time, IOptions<GatewayOptions> options)
    {
        var limits = options.Value.Limits;
        _time = time;
        PerSecond = limits.RequestsPerSecond;
        Burst = Math.Max(1, limits.RequestBurst);
        _burst = Burst;
        _tokensPerTick = PerSecond / time.TimestampFrequency;
    }

    public bool Enabled => PerSecond > 0;

    public double PerSecond { get; }

    public int Burst { get; }

    /// <summary>Takes a token for <paramref name="organisationId"/>; when there is none, returns false
    /// and how long until there is.</summary>
    public bool TryAcquire(string organisationId, out TimeSpan retryAfter)
    {
        if (!_buckets.TryGetValue(organisationId, out var bucket))
        {
            bucket = _buckets.GetOrAdd(organisationId, static (_, state) => new TokenBucket(state._burst, state._time.GetTimestamp()), this);
        }
        var missing = bucket.TryTake(_time.GetTimestamp(), _tokensPerTick, _burst);
        if (missing <= 0)
        {
            retryAfter = TimeSpan.Zero;
            return true;
        }
        retryAfter = TimeSpan.FromSeconds(missing / PerSecond);
        return false;
    }

    private sealed class TokenBucket(double tokens, long refilledAt)
    {
        private readonly Lock _gate = new();
        private double _tokens = tokens;
        private long _refilledAt = refilledAt;

        /// <summary>Refills for the time since the last call and takes one token. Returns 0 when taken,
        /// otherwise the fraction of a token still missing.</summary>
        public double TryTake(long now, double tokensPerTick, double burst)
        {
            lock (_gate)
            {
                // A clock that went backwards (it should not) refills nothing rather than draining.
                if (now > _refilledAt)
                {
                    _tokens = Math.Min(burst, _tokens + ((now - _refilledAt) * tokensPerTick));
                    _refilledAt = now;
                }
                if (_tokens >= 1)
                {
                    _tokens -= 1;
                    return 0;
                }
                return 1 - _tokens;
            }
        }
    }
}
