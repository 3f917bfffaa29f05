using ExchangeGateway.Client;
using ExchangeGateway.Client.Resilience;
using ExchangeGateway.Contracts.V1;
using ExchangeGateway.Tests.Fixtures;
using ExchangeGateway.Tests.Shared;
using Grpc.Core;

namespace ExchangeGateway.Tests.Client;

/// <summary>Which failures the SDK retries with the same request_id. Found by the e2e fault injection
/// (a proxy cutting connections): a connection cut during the HTTP/2 handshake surfaces from
/// grpc-dotnet as INTERNAL, not UNAVAILABLE, and was not retried, so the call failed although the
/// gateway had never seen it.</summary>
public sealed class GatewayResilienceTransportTests(GatewayHostFixture fixture) : IClassFixture<GatewayHostFixture>
{
    private const string Http2HandshakeFailed = "An HTTP/2 connection could not be established because the server did not complete the HTTP/2 handshake.";

    [Fact]
    public async Task AnnounceArrivalAsync_Http2HandshakeFailsTwice_RetriedWithSameRequestIdAndStoredOnce()
    {
        var handler = new FailingFirstHandler(fixture.Host.Handler(TestPki.Client("coa")), failures: 2,
            () => new HttpRequestException(HttpRequestError.HttpProtocolError, Http2HandshakeFailed));
        using var coa = new GatewayClient(fixture.Host.ChannelOver(handler), new GatewayResilienceOptions { BaseDelay = TimeSpan.FromMilliseconds(1), MaxRetryAttempts = 3 });
        var details = TestArrivals.Family("0363", travellers: 1);
        var requestId = GatewayClient.NewRequestId();

        var arrival = await coa.AnnounceArrivalAsync(details, requestId);

        Assert.Equal(3, handler.Calls);
        var stored = await coa.ListArrivalsAsync(new ListArrivalsRequest { CaseReference = details.CaseReference });
        Assert.Equal(arrival.ArrivalId, Assert.Single(stored.Arrivals).ArrivalId);
        // The same request_id once more returns the first answer; nothing is stored twice.
        Assert.Equal(arrival.ArrivalId, (await coa.AnnounceArrivalAsync(details, requestId)).ArrivalId);
    }

    [Fact]
    public void IsRetryable_InternalFromTransport_TrueButInternalAnsweredByGateway_False()
    {
        var transport = new RpcException(new Status(StatusCode.Internal, "Error starting gRPC call. HttpRequestException: " + Http2HandshakeFailed,
            new HttpRequestException(HttpRequestError.HttpProtocolError, Http2HandshakeFailed)));
        var answered = new RpcException(new Status(StatusCode.Internal, "Internal error. It has been logged; nothing was stored for this call."));
        var refused = new RpcException(new Status(StatusCode.InvalidArgument, "arrival.case_reference: is required"));

        Assert.True(GatewayResilience.IsRetryable(transport));
        Assert.False(GatewayResilience.IsRetryable(answered));
        Assert.False(GatewayResilience.IsRetryable(refused));
        Assert.True(GatewayResilience.IsRetryable(new RpcException(new Status(StatusCode.Unavailable, "gateway restarting"))));
    }

    /// <summary>Throws what SocketsHttpHandler throws for a failed connection on the first calls, then passes them on.</summary>
    private sealed class FailingFirstHandler(HttpMessageHandler inner, int failures, Func<Exception> failure) : DelegatingHandler(inner)
    {
        private int _calls;

        public int Calls => _calls;

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            Interlocked.Increment(ref _calls) <= failures
                ? Task.FromException<HttpResponseMessage>(failure())
                : base.SendAsync(request, cancellationToken);
    }
}
