using ExchangeGateway.Contracts.V1;
using ExchangeGateway.Tests.Fixtures;
using Grpc.Core;

namespace ExchangeGateway.Tests.Limits;

/// <summary>Opens a feed stream that the gateway is expected to refuse at once. The refusal can come
/// back before the client has written its 'open' (the limits are checked before the handler reads
/// anything); the status is read from the response stream either way.</summary>
internal static class RefusedStream
{
    public static async Task OpenAsync(NoticeFeed.NoticeFeedClient client)
    {
        using var call = client.Subscribe();
        await call.RequestStream.WriteOrEndedAsync(new SubscribeRequest { Open = new OpenFeed() });
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (await call.ResponseStream.MoveNext(timeout.Token))
        {
            // An 'opened' message means it was not refused; the caller's assertion then fails.
        }
    }
}
