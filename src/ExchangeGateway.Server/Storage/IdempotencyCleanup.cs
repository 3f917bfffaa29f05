using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace ExchangeGateway.Server.Storage;

/// <summary>Forgets request_ids once their retention window has passed.</summary>
internal sealed partial class IdempotencyCleanup(GatewayDbContextFactory contexts, TimeProvider time, ILogger<IdempotencyCleanup> logger)
    : PeriodicJob(time, logger)
{
    protected override TimeSpan Interval { get; } = TimeSpan.FromHours(1);

    protected override async Task RunOnceAsync(CancellationToken cancellationToken)
    {
        var removed = await RemoveExpiredAsync(cancellationToken);
        if (removed > 0)
        {
            LogRemoved(Logger, removed);
        }
    }

    public async Task<int> RemoveExpiredAsync(CancellationToken cancellationToken)
    {
        await using var db = contexts.CreateDbContext();
        var now = Time.GetUtcNow().UtcDateTime;
        return await db.IdempotencyRecords.Where(r => r.ExpiresAt < now).ExecuteDeleteAsync(cancellationToken);
    }

    [LoggerMessage(EventId = 13002, Level = LogLevel.Information, Message = "Forgot {Count} expired request ids.")]
    private static partial void LogRemoved(ILogger logger, int count);
}
