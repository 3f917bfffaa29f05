using ExchangeGateway.Client.Connection;
using ExchangeGateway.EndToEnd.Fixtures;
using Grpc.Core;
using Grpc.Net.Client;

namespace ExchangeGateway.EndToEnd.Fuzz;

/// <summary>The outcome of one fuzzed call.</summary>
public sealed record FuzzOutcome(StatusCode Code, string Detail, byte[]? Response);

/// <summary>Sends raw request bodies to any RPC of the real gateway, as one organisation (one channel
/// each, over mutual TLS), and reports the status.</summary>
public sealed class RawCaller : IDisposable
{
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(30);

    private readonly Dictionary<string, GrpcChannel> _channels;

    public RawCaller(GatewayProcess gateway, IEnumerable<string> organisations) =>
        _channels = organisations.ToDictionary(o => o, o => GatewayChannel.Create(gateway.ConnectionFor(o)));

    public async Task<FuzzOutcome> CallAsync(ContractMethod method, string organisation, byte[] body)
    {
        var invoker = _channels[organisation].CreateCallInvoker();
        var options = new CallOptions(deadline: DateTime.UtcNow.Add(CallTimeout));
        try
        {
            if (!method.Streaming)
            {
                var response = await invoker.AsyncUnaryCall(method.Raw, null, options, body);
                return new FuzzOutcome(StatusCode.OK, "", response);
            }
            using var call = invoker.AsyncDuplexStreamingCall(method.Raw, null, options);
            try
            {
                await call.RequestStream.WriteAsync(body);
                await call.RequestStream.CompleteAsync();
            }
            catch (Exception e) when (e is RpcException or IOException or HttpRequestException)
            {
                // The server may answer (RESOURCE_EXHAUSTED for a message over the size limit, read
                // from its length prefix) while the message is still being written; the write then
                // fails with what the client saw first: often CANCELLED, sometimes the HTTP/2 stream's
                // reset itself (HttpRequestException, STREAM_CLOSED). The server's answer is in the
                // response: read it below.
            }
            byte[]? last = null;
            while (await call.ResponseStream.MoveNext(CancellationToken.None))
            {
                last = call.ResponseStream.Current;
            }
            return new FuzzOutcome(StatusCode.OK, "", last);
        }
        catch (RpcException e)
        {
            return new FuzzOutcome(e.StatusCode, e.Status.Detail, null);
        }
    }

    public void Dispose()
    {
        foreach (var channel in _channels.Values)
        {
            channel.Dispose();
        }
    }
}
