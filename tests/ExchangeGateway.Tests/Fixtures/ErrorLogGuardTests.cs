using Microsoft.Extensions.Logging;

namespace ExchangeGateway.Tests.Fixtures;

public sealed partial class ErrorLogGuardTests
{
    [Fact]
    public void Unexpected_GatewayErrorNotExpected_IsReported()
    {
        using var guard = new ErrorLogGuard();
        LogError(guard.CreateLogger("ExchangeGateway.Server.Feed.FeedEngine"), "an unexpected fault");

        Assert.Contains("an unexpected fault", Assert.Single(guard.Unexpected), StringComparison.Ordinal);
    }

    [Fact]
    public void Unexpected_ExpectedErrorsWarningsAndEfCommands_AreNotReported()
    {
        using var guard = new ErrorLogGuard();
        guard.Expect("refused by the receiver");
        LogError(guard.CreateLogger("ExchangeGateway.Server.Webhooks.WebhookDelivery"), "notice #1 refused by the receiver (HTTP 404)");
        LogWarning(guard.CreateLogger("ExchangeGateway.Server.Deadlines.DeadlineMonitor"), "a warning");
        LogError(guard.CreateLogger("Microsoft.EntityFrameworkCore.Database.Command"), "failed executing DbCommand");

        Assert.Empty(guard.Unexpected);
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "The job reported {What}.")]
    private static partial void LogError(ILogger logger, string what);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The job noted {What}.")]
    private static partial void LogWarning(ILogger logger, string what);
}
