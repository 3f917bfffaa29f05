using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using ExchangeGateway.Server.Audit;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;

namespace ExchangeGateway.Server.Dashboard;

/// <summary>A person's session on the dashboard. The organisation is the client certificate's, as on
/// every call; an organisation's certificate names no person, so on signing in the person gives their
/// name, which the notes they write carry. The session is a cookie signed with a key derived from the
/// audit key (every instance holding the key file accepts it), bound to the certificate it was made
/// with, ending after <see cref="DashboardOptions.SessionLifetime"/> or on signing out.
/// <c>__Host-</c>, Secure, HttpOnly and SameSite=Strict: another site can neither read nor send it.</summary>
internal sealed class DashboardSessions(AuditKey auditKey, IOptions<GatewayOptions> options, TimeProvider time)
{
    public const string CookieName = "__Host-exgw-sessie";

    public const int MaxPersonLength = 80;

    private readonly byte[] _key = auditKey.Derive("dashboard-session");

    /// <summary>Why <paramref name="person"/> cannot be a person's name on the dashboard (in Dutch, for the page), or null.</summary>
    public static string? PersonProblem(string? person)
    {
        var name = person?.Trim() ?? "";
        if (name.Length < 2)
        {
            return "Vul uw naam in (ten minste twee tekens).";
        }
        if (name.Length > MaxPersonLength)
        {
            return $"Uw naam mag ten hoogste {MaxPersonLength} tekens lang zijn.";
        }
        return name.All(c => char.IsLetter(c) || c is ' ' or '-' or '.' or '\'')
            ? null
            : "Uw naam mag alleen letters, spaties, punten, koppeltekens en apostroffen bevatten.";
    }

    public void SignIn(HttpContext context, string person)
    {
        var expires = time.GetUtcNow() + options.Value.Dashboard.SessionLifetime;
        var payload = string.Join('\n', Thumbprint(context), expires.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture), person.Trim());
        var bytes = Encoding.UTF8.GetBytes(payload);
        var value = WebEncoders.Base64UrlEncode(bytes) + "." + WebEncoders.Base64UrlEncode(Sign(bytes));
        context.Response.Cookies.Append(CookieName, value, Cookie(expires));
    }

    public static void SignOut(HttpContext context) =>
        context.Response.Cookies.Delete(CookieName, Cookie(null));

    /// <summary>The person of the request's session, or null when it has none that is valid for the
    /// certificate it came with.</summary>
    public string? Person(HttpContext context)
    {
        if (context.Request.Cookies[CookieName] is not { } value || value.Split('.') is not [var encoded, var signature])
        {
            return null;
        }
        byte[] payload;
        byte[] presented;
        try
        {
            payload = WebEncoders.Base64UrlDecode(encoded);
            presented = WebEncoders.Base64UrlDecode(signature);
        }
        catch (FormatException)
        {
            return null;
        }
        if (!CryptographicOperations.FixedTimeEquals(presented, Sign(payload))
            || Encoding.UTF8.GetString(payload).Split('\n') is not [var thumbprint, var expires, var person]
            || !string.Equals(thumbprint, Thumbprint(context), StringComparison.Ordinal)
            || !long.TryParse(expires, NumberStyles.None, CultureInfo.InvariantCulture, out var unix)
            || DateTimeOffset.FromUnixTimeSeconds(unix) <= time.GetUtcNow())
        {
            return null;
        }
        return person;
    }

    private byte[] Sign(byte[] payload) => HMACSHA256.HashData(_key, payload);

    private static string Thumbprint(HttpContext context) => context.Connection.ClientCertificate?.Thumbprint ?? "";

    private static CookieOptions Cookie(DateTimeOffset? expires) => new()
    {
        Secure = true,
        HttpOnly = true,
        SameSite = SameSiteMode.Strict,
        Path = "/",
        Expires = expires,
        IsEssential = true,
    };
}
