using System.Net;
using ExchangeGateway.Server.Webhooks;

namespace ExchangeGateway.Tests.Webhooks;

public sealed class AttemptResultTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 2, 10, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData(200, "Delivered")]
    [InlineData(202, "Delivered")]
    [InlineData(204, "Delivered")]
    [InlineData(500, "Retry")]
    [InlineData(502, "Retry")]
    [InlineData(503, "Retry")]
    [InlineData(408, "Retry")]
    [InlineData(429, "Retry")]
    [InlineData(400, "Park")]
    [InlineData(401, "Park")]
    [InlineData(404, "Park")]
    [InlineData(410, "Park")]
    [InlineData(301, "Park")]
    [InlineData(307, "Park")]
    public void Of_Status_Classified(int status, string expected)
    {
        using var response = new HttpResponseMessage((HttpStatusCode)status);

        Assert.Equal(expected, AttemptResult.Of(response, Now).Kind.ToString());
    }

    [Fact]
    public void Of_RetryAfterSecondsOrDate_IsTheDelay()
    {
        using var seconds = new HttpResponseMessage(HttpStatusCode.TooManyRequests);
        seconds.Headers.TryAddWithoutValidation("Retry-After", "120");
        using var date = new HttpResponseMessage(HttpStatusCode.ServiceUnavailable);
        date.Headers.TryAddWithoutValidation("Retry-After", Now.AddMinutes(3).ToString("R"));
        using var past = new HttpResponseMessage(HttpStatusCode.ServiceUnavailable);
        past.Headers.TryAddWithoutValidation("Retry-After", Now.AddMinutes(-3).ToString("R"));

        Assert.Equal(TimeSpan.FromSeconds(120), AttemptResult.Of(seconds, Now).RetryAfter);
        Assert.Equal(TimeSpan.FromMinutes(3), AttemptResult.Of(date, Now).RetryAfter);
        Assert.Null(AttemptResult.Of(past, Now).RetryAfter);
    }

    [Fact]
    public void Of_Redirect_SaysRedirectsAreNotFollowed()
    {
        using var response = new HttpResponseMessage(HttpStatusCode.MovedPermanently);

        Assert.Contains("redirects are not followed", AttemptResult.Of(response, Now).Outcome, StringComparison.Ordinal);
    }
}
