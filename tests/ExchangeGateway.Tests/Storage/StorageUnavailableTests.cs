using System.Diagnostics;
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
        // Without the maximum unary call duration: this test is about the storage's UNAVAILABLE, not the deadline's.
        await using var host = await GatewayHost.StartAsync(configure: o =>
        {
            o.Storage.SqliteBusyTimeoutMilliseconds = 20;
            o.Limits.MaxUnaryCallDuration = TimeSpan.Zero;
        });
        // The refused call's audit record cannot be stored either while the database is locked.
        host.ExpectErrors("The audit record of a failed");
        var request = new AnnounceArrivalRequest { RequestId = Guid.NewGuid().ToString(), Arrival = TestArrivals.Family() };

        await using (var blocker = new SqliteConnection($"Data Source={host.DatabasePath};Pooling=false"))
        {
            await blocker.OpenAsync();
            await using var exclusive = blocker.CreateCommand();
            exclusive.CommandText = "BEGIN EXCLUSIVE;";
            await exclusive.ExecuteNonQueryAsync();

            var waited = Stopwatch.StartNew();
            var error = await RpcAssert.ThrowsAsync(StatusCode.Unavailable, async () => await host.Arrivals().AnnounceArrivalAsync(request));

            // The busy timeout bounds each statement's wait (here rounded up to Microsoft.Data.Sqlite's
            // whole second), not that library's own default of 30 s: 7 min 8 s here before, 27 s after
            // (7 tries, each a few statements that find the database locked).
            Assert.InRange(waited.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(60));

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
