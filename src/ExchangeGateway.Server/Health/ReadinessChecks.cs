using System.Data.Common;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;

namespace ExchangeGateway.Server.Health;

/// <summary>Storage reachable, and its schema migrated by <see cref="StorageStartup"/>.</summary>
internal sealed class StorageReadiness(StorageStartup startup, GatewayDbContextFactory contexts) : IHealthCheck
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(3);

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (!startup.Migrated)
        {
            return HealthCheckResult.Unhealthy("the schema is not migrated yet");
        }
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Timeout);
        try
        {
            await using var db = contexts.CreateDbContext();
            return await db.Database.CanConnectAsync(timeout.Token)
                ? HealthCheckResult.Healthy()
                : HealthCheckResult.Unhealthy($"storage ({contexts.Provider}) is unreachable");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return HealthCheckResult.Unhealthy($"storage ({contexts.Provider}) did not answer within {Timeout.TotalSeconds} s");
        }
        catch (Exception exception) when (exception is DbException || StorageResilience.IsUnavailable(exception))
        {
            // The provider's message can name hosts and users; the probe says what, not where.
            return HealthCheckResult.Unhealthy($"storage ({contexts.Provider}) is unreachable ({exception.GetType().Name})");
        }
    }
}

/// <summary>The trust anchors (and CRLs) loaded, the server certificate loaded and within its validity.</summary>
internal sealed class TrustReadiness(FileBackedValue<TrustMaterial> trust, TimeProvider time, FileBackedValue<ServerCertificate>? server = null) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (trust.Current.Anchors.Count == 0)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy("no trust anchors are loaded"));
        }
        var now = time.GetUtcNow();
        if (server?.Current.Certificate is { } certificate && (certificate.NotAfter.ToUniversalTime() < now || certificate.NotBefore.ToUniversalTime() > now))
        {
            return Task.FromResult(HealthCheckResult.Unhealthy($"the server certificate is not valid now (valid {certificate.NotBefore:u} to {certificate.NotAfter:u})"));
        }
        return Task.FromResult(HealthCheckResult.Healthy());
    }
}

/// <summary>The single writer making progress: writes waiting while it has not finished a batch for
/// <see cref="StuckAfter"/> mean every mutating call is waiting with them.</summary>
internal sealed class WriterReadiness(GatewayStore store) : IHealthCheck
{
    public static readonly TimeSpan StuckAfter = TimeSpan.FromSeconds(30);

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var writer = store.Writer;
        var since = writer.SinceProgress;
        return Task.FromResult(writer.Queued > 0 && since > StuckAfter
            ? HealthCheckResult.Unhealthy($"{writer.Queued} writes waiting and no batch finished for {since.TotalSeconds:F0} s")
            : HealthCheckResult.Healthy());
    }
}

/// <summary>Down as soon as the gateway begins to stop, so the load balancer sends no new calls while
/// the open ones finish.</summary>
internal sealed class StoppingReadiness(IHostApplicationLifetime lifetime) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(lifetime.ApplicationStopping.IsCancellationRequested
            ? HealthCheckResult.Unhealthy("the gateway is stopping")
            : HealthCheckResult.Healthy());
}
