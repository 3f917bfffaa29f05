using ExchangeGateway.Client;
using ExchangeGateway.Client.Feed;
using ExchangeGateway.Contracts.V1;
using ExchangeGateway.Tests.Fixtures;
using ExchangeGateway.Tests.Shared;

namespace ExchangeGateway.Tests.Client;

/// <summary>The SDK's subscriber: what the application is handed across reconnections and across
/// enumerations of <see cref="NoticeSubscriber.ReadAllAsync"/>.</summary>
public sealed class NoticeSubscriberTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task ReadAllAsync_FromSequenceThenReconnect_ContinuesWithWhatIsUnacknowledgedInsteadOfReplayingAgain()
    {
        await using var host = await GatewayHost.StartAsync();
        for (var i = 0; i < 3; i++)
        {
            await host.AnnounceAsync(TestArrivals.Family("0363", travellers: 1));
        }
        var cutter = new StreamCutter(host.Handler(TestPki.Client("gemeente-amsterdam")));
        using var client = new GatewayClient(host.ChannelOver(cutter));
        // A duplicate memory of one: what reaches the application again after a reconnection is what
        // the gateway sent again, not what the filter happened to remember.
        var subscriber = client.Subscribe(new SubscriptionOptions { FromSequence = 1, DuplicateMemory = 1, ReconnectBaseDelay = TimeSpan.FromMilliseconds(10) });
        using var stop = new CancellationTokenSource(Wait * 3);
        var handed = new List<ulong>();
        var fourth = default(Arrival);

        await foreach (var received in subscriber.ReadAllAsync(stop.Token))
        {
            handed.Add(received.Notice.Sequence);
            await received.AcknowledgeAsync(stop.Token);
            if (handed.Count == 3)
            {
                cutter.Cut(); // the connection drops; the subscriber reconnects
                await WaitUntilAsync(() => subscriber.Connections == 2, stop.Token);
                fourth = await host.AnnounceAsync(TestArrivals.Family("0363", travellers: 1));
            }
            if (received.Notice.Subject == fourth?.ArrivalId)
            {
                break;
            }
        }

        Assert.Equal([1UL, 2UL, 3UL, 4UL], handed);
    }

    [Fact]
    public async Task ReadAllAsync_HandlerThrewAndEnumerationRestarted_NoticesBufferedOrInProcessAreHandedOutAgain()
    {
        await using var host = await GatewayHost.StartAsync();
        var announced = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            announced.Add((await host.AnnounceAsync(TestArrivals.Family("0363", travellers: 1))).ArrivalId);
        }
        using var client = host.ClientFor("gemeente-amsterdam");
        var subscriber = client.Subscribe(new SubscriptionOptions { ReconnectBaseDelay = TimeSpan.FromMilliseconds(10) });
        using var stop = new CancellationTokenSource(Wait * 3);

        // The application's handler fails on the first notice, after the others were buffered.
        await Assert.ThrowsAsync<InvalidOperationException>(async () =>
        {
            await foreach (var received in subscriber.ReadAllAsync(stop.Token))
            {
                await WaitUntilAsync(() => subscriber.Connections == 1, stop.Token);
                throw new InvalidOperationException("the BRP system was down");
            }
        });

        // The application starts reading again: it must get every notice, and can acknowledge them.
        var handed = new HashSet<string>();
        await foreach (var received in subscriber.ReadAllAsync(stop.Token))
        {
            handed.Add(received.Notice.Subject);
            await received.AcknowledgeAsync(stop.Token);
            if (handed.IsSupersetOf(announced))
            {
                break;
            }
        }

        Assert.Superset(announced.ToHashSet(), handed);
    }

    private static async Task WaitUntilAsync(Func<bool> condition, CancellationToken cancellationToken)
    {
        while (!condition())
        {
            await Task.Delay(10, cancellationToken);
        }
    }

    /// <summary>Passes calls on, and on <see cref="Cut"/> fails the response streams open now, as a
    /// dropped connection does.</summary>
    private sealed class StreamCutter(HttpMessageHandler inner) : DelegatingHandler(inner)
    {
        private readonly List<CuttableStream> _open = [];

        public void Cut()
        {
            lock (_open)
            {
                foreach (var stream in _open)
                {
                    stream.Cut();
                }
                _open.Clear();
            }
        }

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var response = await base.SendAsync(request, cancellationToken);
            var body = new CuttableStream(await response.Content.ReadAsStreamAsync(cancellationToken));
            lock (_open)
            {
                _open.Add(body);
            }
            var content = new StreamContent(body);
            foreach (var header in response.Content.Headers)
            {
                content.Headers.TryAddWithoutValidation(header.Key, header.Value);
            }
            response.Content = content;
            return response;
        }
    }

    private sealed class CuttableStream(Stream inner) : Stream
    {
        private readonly CancellationTokenSource _cut = new();

        public void Cut() => _cut.Cancel();

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            using var both = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _cut.Token);
            try
            {
                return await inner.ReadAsync(buffer, both.Token);
            }
            catch (OperationCanceledException) when (_cut.IsCancellationRequested)
            {
                throw new IOException("The connection was cut.");
            }
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer, offset, count).GetAwaiter().GetResult();

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
                _cut.Dispose();
            }
            base.Dispose(disposing);
        }
    }
}
