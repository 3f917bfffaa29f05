using System.Threading.Channels;
using ExchangeGateway.Contracts.V1;
using Grpc.Core;

namespace ExchangeGateway.EndToEnd.Fixtures;

/// <summary>One raw feed stream (no SDK between it and the gateway, so every redelivery is seen) that
/// acknowledges each notice after a random delay and, now and then, never: a BRP connector that
/// loses work. Everything it sees and does goes into a <see cref="FeedHistory"/>.</summary>
public sealed class UnreliableSubscriber : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Channel<ulong> _acknowledgements = Channel.CreateUnbounded<ulong>();
    private readonly Task _run;
    private int _lost;

    public UnreliableSubscriber(int stream, GatewayProcess gateway, string organisationId, string municipalityCode,
        uint window, double loses, int seed, FeedHistory history)
    {
        _run = Task.Run(() => RunAsync(stream, gateway, organisationId, municipalityCode, window, loses, new Random(seed), history));
    }

    private async Task RunAsync(int stream, GatewayProcess gateway, string organisationId, string municipalityCode,
        uint window, double loses, Random random, FeedHistory history)
    {
        using var client = gateway.ClientFor(organisationId);
        using var call = new NoticeFeed.NoticeFeedClient(client.Channel).Subscribe(cancellationToken: _stop.Token);
        try
        {
            await call.RequestStream.WriteAsync(new SubscribeRequest { Open = new OpenFeed { MunicipalityCode = municipalityCode, MaxUnacknowledged = window } });
            _ = WriteAcknowledgementsAsync(stream, call.RequestStream, history);
            await foreach (var response in call.ResponseStream.ReadAllAsync(_stop.Token))
            {
                if (response.Notice is { } notice)
                {
                    history.Received(stream, notice, window);
                    if (random.NextDouble() >= loses)
                    {
                        _ = AcknowledgeLaterAsync(notice.Sequence, TimeSpan.FromMilliseconds(random.Next(0, 200)));
                    }
                    else
                    {
                        Interlocked.Increment(ref _lost);
                    }
                }
                else if (response.Acknowledged is { } confirmed)
                {
                    history.Confirmed(stream, confirmed.Sequences);
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException || (e is RpcException r && r.StatusCode is StatusCode.Cancelled or StatusCode.Unavailable or StatusCode.Internal))
        {
            // Stopped by the test, or the gateway process was killed under it.
        }
        finally
        {
            history.Closed(stream);
        }
    }

    /// <summary>How many notices this stream chose never to acknowledge.</summary>
    public int Lost => Volatile.Read(ref _lost);

    private async Task AcknowledgeLaterAsync(ulong sequence, TimeSpan delay)
    {
        try
        {
            await Task.Delay(delay, _stop.Token);
            _acknowledgements.Writer.TryWrite(sequence);
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task WriteAcknowledgementsAsync(int stream, IClientStreamWriter<SubscribeRequest> requests, FeedHistory history)
    {
        try
        {
            await foreach (var sequence in _acknowledgements.Reader.ReadAllAsync(_stop.Token))
            {
                history.AcknowledgementSent(stream, sequence);
                await requests.WriteAsync(new SubscribeRequest { Acknowledge = new Acknowledge { Sequences = { sequence } } });
            }
        }
        catch (Exception e) when (e is OperationCanceledException or RpcException or InvalidOperationException)
        {
            // The stream ended under the writer; the reader reports it.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await _run;
        }
        finally
        {
            _stop.Dispose();
        }
    }
}
