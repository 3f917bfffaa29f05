using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using ExchangeGateway.Server.Audit;
using ExchangeGateway.Server.Dashboard;
using ExchangeGateway.Server.Hosting;
using ExchangeGateway.Tests.Shared;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace ExchangeGateway.Tests.Dashboard;

public sealed class DashboardSessionsTests : IDisposable
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 3, 9, 0, 0, TimeSpan.Zero));
    private readonly X509Certificate2 _browser = Certificate("browser");
    private readonly X509Certificate2 _other = Certificate("other");
    private readonly DashboardSessions _sessions;

    public DashboardSessionsTests()
    {
        var options = new GatewayOptions();
        options.Dashboard.SessionLifetime = TimeSpan.FromHours(8);
        _sessions = new DashboardSessions(new AuditKey(RandomNumberGenerator.GetBytes(32)), Options.Create(options), _time);
    }

    [Fact]
    public void Person_CookieFromSignIn_NamesThePerson()
    {
        var cookie = SignIn("Anna de Vries");

        Assert.Equal("Anna de Vries", _sessions.Person(Request(cookie, _browser)));
    }

    [Fact]
    public void SignIn_Cookie_IsHostOnlySecureHttpOnlyAndStrict()
    {
        var context = Request(null, _browser);
        _sessions.SignIn(context, "Anna de Vries");

        var header = context.Response.Headers.SetCookie.ToString().ToLowerInvariant();
        Assert.StartsWith(DashboardSessions.CookieName.ToLowerInvariant() + "=", header, StringComparison.Ordinal);
        Assert.Contains("secure", header, StringComparison.Ordinal);
        Assert.Contains("httponly", header, StringComparison.Ordinal);
        Assert.Contains("samesite=strict", header, StringComparison.Ordinal);
        Assert.Contains("path=/", header, StringComparison.Ordinal);
        Assert.DoesNotContain("domain=", header, StringComparison.Ordinal);
    }

    [Fact]
    public void Person_OtherCertificate_NoSession()
    {
        var cookie = SignIn("Anna de Vries");

        Assert.Null(_sessions.Person(Request(cookie, _other)));
    }

    [Fact]
    public void Person_AfterTheLifetime_NoSession()
    {
        var cookie = SignIn("Anna de Vries");

        _time.Advance(TimeSpan.FromHours(8));

        Assert.Null(_sessions.Person(Request(cookie, _browser)));
    }

    [Theory]
    [InlineData("garbage")]
    [InlineData("a.b.c")]
    [InlineData("!!!.???")]
    public void Person_MalformedCookie_NoSession(string cookie)
    {
        Assert.Null(_sessions.Person(Request(cookie, _browser)));
    }

    [Fact]
    public void Person_ChangedName_NoSession()
    {
        var cookie = SignIn("Anna de Vries");
        var parts = cookie.Split('.');
        var forged = Microsoft.AspNetCore.WebUtilities.WebEncoders.Base64UrlEncode(
            System.Text.Encoding.UTF8.GetBytes(System.Text.Encoding.UTF8.GetString(
                Microsoft.AspNetCore.WebUtilities.WebEncoders.Base64UrlDecode(parts[0])).Replace("Anna de Vries", "Someone Else", StringComparison.Ordinal)));

        Assert.Null(_sessions.Person(Request(forged + "." + parts[1], _browser)));
    }

    [Fact]
    public void Person_SessionOfAnotherKey_NoSession()
    {
        var cookie = SignIn("Anna de Vries");
        var elsewhere = new DashboardSessions(new AuditKey(RandomNumberGenerator.GetBytes(32)), Options.Create(new GatewayOptions()), _time);

        Assert.Null(elsewhere.Person(Request(cookie, _browser)));
    }

    [Theory]
    [InlineData("", "Vul uw naam in (ten minste twee tekens).")]
    [InlineData(" a ", "Vul uw naam in (ten minste twee tekens).")]
    [InlineData("Anna\nde Vries", "Uw naam mag alleen letters, spaties, punten, koppeltekens en apostroffen bevatten.")]
    [InlineData("<script>", "Uw naam mag alleen letters, spaties, punten, koppeltekens en apostroffen bevatten.")]
    [InlineData("Anna de Vries", null)]
    [InlineData("Jan-Willem van 't Hof", null)]
    [InlineData("Zoë Öztürk", null)]
    public void PersonProblem_Name_SaysWhatIsWrong(string name, string? expected)
    {
        Assert.Equal(expected, DashboardSessions.PersonProblem(name));
    }

    public void Dispose()
    {
        _browser.Dispose();
        _other.Dispose();
    }

    private string SignIn(string person)
    {
        var context = Request(null, _browser);
        _sessions.SignIn(context, person);
        var header = context.Response.Headers.SetCookie.ToString();
        return header[(DashboardSessions.CookieName.Length + 1)..header.IndexOf(';', StringComparison.Ordinal)];
    }

    private static DefaultHttpContext Request(string? cookie, X509Certificate2 certificate)
    {
        var context = new DefaultHttpContext();
        context.Connection.ClientCertificate = certificate;
        if (cookie is not null)
        {
            context.Request.Headers.Cookie = $"{DashboardSessions.CookieName}={cookie}";
        }
        return context;
    }

    private static X509Certificate2 Certificate(string name) => TestCertificates.SelfSigned(new X500DistinguishedName($"CN={name}"));
}
