using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace ExchangeGateway.Client.Webhooks;

/// <summary>For a receiver of the gateway's webhooks: checks a request's Standard Webhooks headers
/// (<c>webhook-id</c>, <c>webhook-timestamp</c>, <c>webhook-signature</c>) against the subscription's
/// secret, so a request is taken in only if the gateway sent it, unchanged, recently. Keep the ids
/// taken in for at least the tolerance to drop a replay inside it (and a redelivery, which carries the
/// same id).</summary>
public sealed class WebhookVerifier
{
    private const string Prefix = "whsec_";

    private readonly byte[] _key;
    private readonly TimeProvider _time;

    /// <param name="secret">The subscription's secret, "whsec_" and base64, as the operator gave it.</param>
    /// <param name="tolerance">How far the timestamp may be from this receiver's clock (5 minutes by default).</param>
    /// <param name="time">The receiver's clock (the system clock by default).</param>
    public WebhookVerifier(string secret, TimeSpan? tolerance = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(secret);
        var trimmed = secret.Trim();
        if (!trimmed.StartsWith(Prefix, StringComparison.Ordinal))
        {
            throw new ArgumentException("A webhook secret starts with \"whsec_\".", nameof(secret));
        }
        _key = Convert.FromBase64String(trimmed[Prefix.Length..]);
        Tolerance = tolerance ?? TimeSpan.FromMinutes(5);
        _time = time ?? TimeProvider.System;
    }

    public TimeSpan Tolerance { get; }

    /// <summary>Whether the headers prove <paramref name="body"/> came from the gateway within the tolerance.</summary>
    public bool Verify(string? id, string? timestamp, string? signature, ReadOnlySpan<byte> body)
    {
        if (string.IsNullOrEmpty(id) || string.IsNullOrEmpty(signature)
            || !long.TryParse(timestamp, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
        {
            return false;
        }
        var sent = DateTimeOffset.FromUnixTimeSeconds(Math.Clamp(seconds, 0, 253_402_300_799));
        if ((_time.GetUtcNow() - sent).Duration() > Tolerance)
        {
            return false;
        }
        var prefix = Encoding.UTF8.GetBytes($"{id}.{timestamp}.");
        var content = new byte[prefix.Length + body.Length];
        prefix.CopyTo(content, 0);
        body.CopyTo(content.AsSpan(prefix.Length));
        var expected = HMACSHA256.HashData(_key, content);
        Span<byte> given = stackalloc byte[48];
        // Several signatures may be listed (during a secret rotation): any valid v1 one will do.
        foreach (var candidate in signature.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (candidate.StartsWith("v1,", StringComparison.Ordinal)
                && Convert.TryFromBase64String(candidate[3..], given, out var written) && written == expected.Length
                && CryptographicOperations.FixedTimeEquals(given[..written], expected))
            {
                return true;
            }
        }
        return false;
    }
}
