using System.Net;
using ExchangeGateway.Client.Connection;
using ExchangeGateway.EndToEnd.Fixtures;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Reflection.V1Alpha;

namespace ExchangeGateway.EndToEnd;

/// <summary>What a platform team's tooling reaches on a real <c>exgw serve</c>: the management
/// listener's probes and metrics without a client certificate, and grpc.health.v1 and server
/// reflection on the gateway port behind mutual TLS.</summary>
public sealed class ManagementListenerTests(GatewayProcessFixture fixture) : IClassFixture<GatewayProcessFixture>
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10) };

    private GatewayProcess Gateway => fixture.Gateway;

    [Fact]
    public async Task Probes_WithoutClientCertificate_LiveAndReadyAnswerOk()
    {
        var live = await Http.GetAsync(new Uri(Gateway.ManagementAddress, "/livez"));
        var ready = await Http.GetAsync(new Uri(Gateway.ManagementAddress, "/readyz"));

        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        var text = await ready.Content.ReadAsStringAsync();
        Assert.StartsWith("ready\n", text, StringComparison.Ordinal);
        Assert.Contains("storage: ok", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Metrics_AfterACall_CountsItByMethodAndStatus()
    {
        using var client = Gateway.ClientFor("coa");
        await client.PingAsync();

        var metrics = await Http.GetStringAsync(new Uri(Gateway.ManagementAddress, "/metrics"));

        var line = metrics.Split('\n').FirstOrDefault(l => l.StartsWith("exgw_rpc_calls_total{", StringComparison.Ordinal)
            && l.Contains("rpc_method=\"/exchange.v1.GatewayService/Ping\"", StringComparison.Ordinal));
        Assert.True(line is not null, "no Ping counter in:\n" + metrics);
        Assert.Contains("rpc_grpc_status_code=\"0\"", line, StringComparison.Ordinal);
        Assert.Contains("# TYPE exgw_write_queue_depth gauge", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ManagementPort_GatewayPathOrUnknownPath_NotServed()
    {
        using var ping = new HttpRequestMessage(HttpMethod.Post, new Uri(Gateway.ManagementAddress, "/exchange.v1.GatewayService/Ping"))
        {
            Content = new ByteArrayContent([0, 0, 0, 0, 0]),
        };
        ping.Content.Headers.ContentType = new("application/grpc");

        var answer = await Http.SendAsync(ping);
        var unknown = await Http.GetAsync(new Uri(Gateway.ManagementAddress, "/status"));

        Assert.Equal(HttpStatusCode.NotFound, answer.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }

    [Fact]
    public async Task GrpcHealth_Check_AnswersServingForTheGatewayAsAWhole()
    {
        using var channel = GatewayChannel.Create(Gateway.ConnectionFor("gemeente-amsterdam"));

        var answer = await new Health.HealthClient(channel).CheckAsync(new HealthCheckRequest());

        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, answer.Status);
    }

    [Fact]
    public async Task GrpcHealth_CheckPerService_ServingForEachAndNotFoundForAnUnknownOne()
    {
        using var channel = GatewayChannel.Create(Gateway.ConnectionFor("gemeente-amsterdam"));
        var health = new Health.HealthClient(channel);

        foreach (var service in new[] { "exchange.v1.ArrivalService", "exchange.v1.MunicipalityService", "exchange.v1.IndService", "exchange.v1.ChainService", "exchange.v1.NoticeFeed", "exchange.v1.GatewayService" })
        {
            Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, (await health.CheckAsync(new HealthCheckRequest { Service = service })).Status);
        }
        var unknown = await Assert.ThrowsAsync<RpcException>(() => health.CheckAsync(new HealthCheckRequest { Service = "exchange.v1.NoSuchService" }).ResponseAsync);
        Assert.Equal(StatusCode.NotFound, unknown.StatusCode);
    }

    [Fact]
    public async Task Reflection_ClientWithoutProtos_ListsTheServicesAndCallsPing()
    {
        using var channel = GatewayChannel.Create(Gateway.ConnectionFor("ind"));
        using var reflection = new ServerReflection.ServerReflectionClient(channel).ServerReflectionInfo();

        await reflection.RequestStream.WriteAsync(new ServerReflectionRequest { ListServices = "" });
        Assert.True(await reflection.ResponseStream.MoveNext(CancellationToken.None));
        var services = reflection.ResponseStream.Current.ListServicesResponse.Service.Select(s => s.Name).ToList();
        await reflection.RequestStream.WriteAsync(new ServerReflectionRequest { FileContainingSymbol = "exchange.v1.GatewayService" });
        Assert.True(await reflection.ResponseStream.MoveNext(CancellationToken.None));
        var files = reflection.ResponseStream.Current.FileDescriptorResponse.FileDescriptorProto.Select(FileDescriptorProto.Parser.ParseFrom).ToList();
        await reflection.RequestStream.CompleteAsync();

        Assert.Contains("exchange.v1.ArrivalService", services);
        Assert.Contains("exchange.v1.NoticeFeed", services);
        Assert.Contains("grpc.health.v1.Health", services);
        var ping = files.SelectMany(f => f.Service).Single(s => s.Name == "GatewayService").Method.Single(m => m.Name == "Ping");
        // The call is made from what reflection said, with raw bytes: no generated stub.
        var method = new Method<byte[], byte[]>(MethodType.Unary, "exchange.v1.GatewayService", ping.Name,
            Marshallers.Create(b => b, b => b), Marshallers.Create(b => b, b => b));
        var answer = await channel.CreateCallInvoker().AsyncUnaryCall(method, null, new CallOptions(), []);
        Assert.NotNull(answer);
    }
}

/// <summary>Readiness follows storage: a gateway on PostgreSQL reports not ready while the database
/// is down and ready again once it is back, without a restart.</summary>
public sealed class ReadinessPostgresTests
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10) };

    [Fact]
    public async Task Readiness_StorageStoppedAndStartedAgain_GoesDownAndComesBack()
    {
        var postgres = new PostgresServer();
        await postgres.InitializeAsync();
        try
        {
            await postgres.CreateDatabaseAsync("readiness");
            await using var gateway = await TestGateway.StartAsync(postgres: postgres.ConnectionString("readiness"));
            var readyz = new Uri(gateway.ManagementAddress, "/readyz");
            Assert.Equal(HttpStatusCode.OK, (await Http.GetAsync(readyz)).StatusCode);

            await postgres.StopAsync();
            await Until.TrueAsync(async () => (await Http.GetAsync(readyz)).StatusCode == HttpStatusCode.ServiceUnavailable, "readiness down while PostgreSQL is stopped");
            var down = await (await Http.GetAsync(readyz)).Content.ReadAsStringAsync();
            Assert.Contains("storage: storage (PostgreSql) is unreachable", down, StringComparison.Ordinal);
            // Per service: what needs storage is NOT_SERVING, Ping (no storage) stays SERVING.
            using (var channel = GatewayChannel.Create(gateway.ConnectionFor("coa")))
            {
                var health = new Health.HealthClient(channel);
                Assert.Equal(HealthCheckResponse.Types.ServingStatus.NotServing, (await health.CheckAsync(new HealthCheckRequest { Service = "exchange.v1.ArrivalService" })).Status);
                Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, (await health.CheckAsync(new HealthCheckRequest { Service = "exchange.v1.GatewayService" })).Status);
            }
            Assert.Equal(HttpStatusCode.OK, (await Http.GetAsync(new Uri(gateway.ManagementAddress, "/livez"))).StatusCode);

            await postgres.StartAsync();
            await Until.TrueAsync(async () => (await Http.GetAsync(readyz)).StatusCode == HttpStatusCode.OK, "readiness back once PostgreSQL runs again");
        }
        finally
        {
            await postgres.DisposeAsync();
        }
    }
}
