using Grpc.Core;

namespace ExchangeGateway.Tests.Fixtures;

/// <summary>Writes to a stream the gateway may already have ended. A refusal can come back before
/// the client's write completes (limits are checked before the handler reads, and a refused first
/// message ends the call at once); writing to a call that ended throws RpcException or
/// InvalidOperationException instead of nothing. The caller then reads the call's status from the
/// response stream, which is where a test asserts it.</summary>
internal static class EndedCallWrites
{
    public static async Task WriteOrEndedAsync<T>(this IClientStreamWriter<T> writer, T message)
    {
        try
        {
            await writer.WriteAsync(message);
        }
        catch (Exception e) when (e is RpcException or InvalidOperationException)
        {
            // The call has ended; its status comes from the response stream.
        }
    }
}
