using System.Diagnostics;
using ExchangeGateway.Client.Connection;
using ExchangeGateway.Contracts.V1;
using ExchangeGateway.EndToEnd.Fixtures;
using ExchangeGateway.Tests.Shared;
using Grpc.Core;
using Microsoft.Data.Sqlite;

namespace ExchangeGateway.EndToEnd;

/// <summary>The limits that only real Kestrel and real HTTP/2 show: the server's maximum unary call
/// duration as the client sees it, and the request header limits.</summary>
public sealed class LimitsProcessTests : IAsyncLifetime
{
    private GatewayProcess? _gateway;

    private GatewayProcess Gateway => _gateway ?? throw new InvalidOperationException("Not started.");

    public async Task InitializeAsync() => _gateway = await TestGateway.StartAsync(arguments: ["--Gateway:Limits:MaxUnaryCallDuration=00:00:02"]);

    public async Task DisposeAsync()
    {
        if (_gateway is not null)
        {
            await _gateway.DisposeAsync();
        }
    }

    [Fact]
    public async Task AnnounceArrival_NoClientDeadlineAndDatabaseLocked_DeadlineExceededAtServerMaximum()
    {
        using var channel = GatewayChannel.Create(Gateway.ConnectionFor("coa"));
        var arrivals = new ArrivalService.ArrivalServiceClient(channel);
        await WarmUpAsync(arrivals);
        await using var blocker = new SqliteConnection($"Data Source={Gateway.DatabasePath};Pooling=false");
        await blocker.OpenAsync();
        await using var exclusive = blocker.CreateCommand();
        exclusive.CommandText = "BEGIN EXCLUSIVE;";
        await exclusive.ExecuteNonQueryAsync();
        var clock = Stopwatch.StartNew();

        // No deadline from the client; the database's busy timeout (5 s) and retries would take longer.
        var error = await Assert.ThrowsAsync<RpcException>(async () =>
            await arrivals.AnnounceArrivalAsync(new AnnounceArrivalRequest { RequestId = Guid.NewGuid().ToString(), Arrival = TestArrivals.Family() }));

        Assert.Equal(StatusCode.DeadlineExceeded, error.StatusCode);
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(1.9), TimeSpan.FromSeconds(4.5));
        exclusive.CommandText = "ROLLBACK;";
        await exclusive.ExecuteNonQueryAsync();
        Assert.True(Gateway.IsRunning, Gateway.RecentOutput);
    }

    /// <summary>The first announcement of a fresh process compiles its code paths and may itself take
    /// longer than the short maximum this test sets; a few tries get a warm server.</summary>
    private static async Task WarmUpAsync(ArrivalService.ArrivalServiceClient arrivals)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await arrivals.AnnounceArrivalAsync(new AnnounceArrivalRequest { RequestId = Guid.NewGuid().ToString(), Arrival = TestArrivals.Family() });
                return;
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.DeadlineExceeded && attempt < 10)
            {
            }
        }
    }

    [Fact]
    public async Task Ping_HeadersOverTheLimit_RefusedAndTheGatewayServesTheNextCall()
    {
        using var channel = GatewayChannel.Create(Gateway.ConnectionFor("ind"));
        var gateway = new GatewayService.GatewayServiceClient(channel);
        var huge = new Metadata { { "x-padding", new string('a', 20 * 1024) } };

        var error = await Assert.ThrowsAsync<RpcException>(async () => await gateway.PingAsync(new PingRequest(), huge, DateTime.UtcNow.AddSeconds(30)));

        Assert.NotEqual(StatusCode.OK, error.StatusCode);
        using var fresh = GatewayChannel.Create(Gateway.ConnectionFor("ind"));
        Assert.Equal("ind", (await new GatewayService.GatewayServiceClient(fresh).PingAsync(new PingRequest())).OrganisationId);
        Assert.True(Gateway.IsRunning, Gateway.RecentOutput);
    }
}
