using System.Globalization;
using System.Net;

namespace ExchangeGateway.Server.Webhooks;

internal enum AttemptKind
{
    /// <summary>2xx: the receiver took the notice in; it is acknowledged.</summary>
    Delivered,

    /// <summary>Transient: 5xx, 408, 429, a timeout, a failed or refused connection.</summary>
    Retry,

    /// <summary>Any other answer (4xx, 3xx since redirects are not followed): the receiver will not take it as it is.</summary>
    Park,

    /// <summary>Nothing more to do: acknowledged elsewhere, parked, or gone.</summary>
    Settled,
}

/// <summary>What one POST came to, in words an operator can act on (never personal data).</summary>
internal sealed record AttemptResult(AttemptKind Kind, int Status, string Outcome, TimeSpan? RetryAfter = null, bool Refusal = false)
{
    public static readonly AttemptResult Settled = new(AttemptKind.Settled, 0, "settled");

    public static AttemptResult Of(HttpResponseMessage response, DateTimeOffset now)
    {
        var status = (int)response.StatusCode;
        var described = string.Create(CultureInfo.InvariantCulture, $"HTTP {status}");
        if (status is >= 200 and < 300)
        {
            return new(AttemptKind.Delivered, status, described);
        }
        if (status is >= 500 or (int)HttpStatusCode.RequestTimeout or (int)HttpStatusCode.TooManyRequests)
        {
            var after = response.Headers.RetryAfter switch
            {
                { Delta: { } delta } => delta,
                { Date: { } date } => date - now,
                _ => (TimeSpan?)null,
            };
            return new(AttemptKind.Retry, status, described, after > TimeSpan.Zero ? after : null);
        }
        return new(AttemptKind.Park, status, status is >= 300 and < 400 ? described + " (redirects are not followed)" : described);
    }

    public static AttemptResult Failed(string why) => new(AttemptKind.Retry, 0, why);

    public static AttemptResult Refused(string why) => new(AttemptKind.Retry, 0, why, Refusal: true);
}
