using System.Security.Cryptography;
using System.Text;

namespace ExchangeGateway.Server.Webhooks;

/// <summary>Standard Webhooks signing: a secret "whsec_&lt;base64&gt;", and per request the headers
/// <c>webhook-id</c>, <c>webhook-timestamp</c> (Unix seconds) and <c>webhook-signature</c>
/// ("v1," and the base64 HMAC-SHA256 of "id.timestamp.body" under the secret's bytes). A receiver
/// checks the signature and refuses timestamps far from its clock, so a captured request cannot be
/// replayed later; the id lets it drop a request it has already taken in.</summary>
public static class WebhookSecret
{
    public const string Prefix = "whsec_";

    /// <summary>A new secret of 32 random bytes, as the registry's secret file holds it.</summary>
    public static string Create() => Prefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    /// <summary>The key bytes of a secret file's text; empty when it is not a Standard Webhooks secret.</summary>
    public static byte[] Parse(string text)
    {
        var trimmed = text.Trim();
        if (!trimmed.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return [];
        }
        try
        {
            return Convert.FromBase64String(trimmed[Prefix.Length..]);
        }
        catch (FormatException)
        {
            return [];
        }
    }

    /// <summary>The <c>webhook-signature</c> header's value for one request.</summary>
    public static string Sign(byte[] key, string id, long timestamp, ReadOnlySpan<byte> body)
    {
        var prefix = Encoding.UTF8.GetBytes(FormattableString.Invariant($"{id}.{timestamp}."));
        var content = new byte[prefix.Length + body.Length];
        prefix.CopyTo(content, 0);
        body.CopyTo(content.AsSpan(prefix.Length));
        return "v1," + Convert.ToBase64String(HMACSHA256.HashData(key, content));
    }
}
