using ExchangeGateway.Contracts.V1;
using ExchangeGateway.Tests.Fixtures;
using ExchangeGateway.Tests.Shared;
using Google.Rpc;
using Grpc.Core;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;

namespace ExchangeGateway.Tests.Storage;

public sealed class StorageUnavailableTests
{
    [Fact]
    public async Task AnnounceArrival_DatabaseLockedPastRetries_IsUnavailableThenSucceedsOnRetryWithSameRequestId()
    {
        // Without the 30 s maximum unary call duration: the locked database is only reported after the
        // storage retries, which take longer than that here (this test is about UNAVAILABLE).
        await using var host = await GatewayHost.StartAsync(configure: o =>
        {
            o.Storage.SqliteBusyTimeoutMilliseconds = 20;
            o.Limits.MaxUnaryCallDuration = TimeSpan.Zero;
        });
        var request = new AnnounceArrivalRequest { RequestId = Guid.NewGuid().ToString(), Arrival = TestArrivals.Family() };

        await using (var blocker = new SqliteConnection($"Data Source={host.DatabasePath};Pooling=false"))
        {
            await blocker.OpenAsync();
            await using var exclusive = blocker.CreateCommand();
            exclusive.CommandText = "BEGIN EXCLUSIVE;";
            await exclusive.ExecuteNonQueryAsync();

            var error = await RpcAssert.ThrowsAsync(StatusCode.Unavailable, async () => await host.Arrivals().AnnounceArrivalAsync(request));

            Assert.NotNull(error.GetRpcStatus()?.GetDetail<RetryInfo>());
            exclusive.CommandText = "ROLLBACK;";
            await exclusive.ExecuteNonQueryAsync();
        }

        await using (var db = host.Db())
        {
            Assert.False(await db.Arrivals.AnyAsync(a => a.CaseReference == request.Arrival.CaseReference));
        }
        var stored = await host.Arrivals().AnnounceArrivalAsync(request);
        Assert.Equal(ArrivalState.Announced, stored.Arrival.State);
    }
}
