using System.Threading.Channels;
using ExchangeGateway.Contracts.V1;
using Grpc.Core;

namespace ExchangeGateway.Tests.Fixtures;

/// <summary>One open NoticeFeed.Subscribe stream, read in the background so a test can wait for the
/// next notice or confirmation with a timeout instead of sleeping. Notices and acknowledgement
/// confirmations are queued separately, so acknowledging never loses a notice that arrives meanwhile.</summary>
public sealed class FeedReader : IAsyncDisposable
{
    /// <summary>How long a test waits for something that must come.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    /// <summary>How long a test waits to see that something does not come (only where unavoidable).</summary>
    public static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(300);

    private readonly AsyncDuplexStreamingCall<SubscribeRequest, SubscribeResponse> _call;
    private readonly Channel<Notice> _notices = Channel.CreateUnbounded<Notice>();
    private readonly Channel<AcknowledgementsConfirmed> _confirmations = Channel.CreateUnbounded<AcknowledgementsConfirmed>();
    private readonly Task _pump;
    private Exception? _failure;

    private FeedReader(AsyncDuplexStreamingCall<SubscribeRequest, SubscribeResponse> call, FeedOpened opened, bool read)
    {
        _call = call;
        Opened = opened;
        _pump = read ? Task.Run(PumpAsync) : Task.CompletedTask;
    }

    /// <summary>The server's first message.</summary>
    public FeedOpened Opened { get; }

    /// <summary>Opens a stream and waits for its <c>opened</c> message; a refused open throws the RpcException.
    /// With <paramref name="read"/> false nothing after <c>opened</c> is read: a subscriber that stopped reading.</summary>
    public static async Task<FeedReader> OpenAsync(NoticeFeed.NoticeFeedClient client, OpenFeed? open = null, bool read = true)
    {
        var call = client.Subscribe();
        try
        {
            await call.RequestStream.WriteOrEndedAsync(new SubscribeRequest { Open = open ?? new OpenFeed() });
            using var timeout = new CancellationTokenSource(Timeout);
            if (!await call.ResponseStream.MoveNext(timeout.Token))
            {
                throw new InvalidOperationException("The stream ended without an 'opened' message.");
            }
            var first = call.ResponseStream.Current;
            if (first.EventCase != SubscribeResponse.EventOneofCase.Opened)
            {
                throw new InvalidOperationException($"The first message was {first.EventCase}, not 'opened'.");
            }
            return new FeedReader(call, first.Opened, read);
        }
        catch
        {
            call.Dispose();
            throw;
        }
    }

    /// <summary>The next notice; fails the test when none comes within <see cref="Timeout"/>.</summary>
    public async Task<Notice> NextNoticeAsync() =>
        await TryNextNoticeAsync(Timeout) ?? throw new TimeoutException($"No notice within {Timeout.TotalSeconds} s.");

    /// <summary>The next <paramref name="count"/> notices, in the order they came.</summary>
    public async Task<List<Notice>> NextNoticesAsync(int count)
    {
        var notices = new List<Notice>();
        for (var i = 0; i < count; i++)
        {
            notices.Add(await NextNoticeAsync());
        }
        return notices;
    }

    /// <summary>The next notice, or null when none comes within <paramref name="wait"/>. Use a short
    /// wait (<see cref="Quiet"/>) only to show that something does not come.</summary>
    public async Task<Notice?> TryNextNoticeAsync(TimeSpan wait) => await TryReadAsync(_notices.Reader, wait);

    /// <summary>Completes when a notice is waiting (without taking it).</summary>
    public async Task WaitForNoticeAsync(CancellationToken cancellationToken) =>
        await _notices.Reader.WaitToReadAsync(cancellationToken);

    /// <summary>Whether a notice is waiting now.</summary>
    public bool HasNotice => _notices.Reader.TryPeek(out _);

    /// <summary>Acknowledges <paramref name="sequences"/> and returns the server's confirmation.</summary>
    public async Task<AcknowledgementsConfirmed> AcknowledgeAsync(params ulong[] sequences)
    {
        var acknowledge = new Acknowledge();
        acknowledge.Sequences.AddRange(sequences);
        await SendAsync(new SubscribeRequest { Acknowledge = acknowledge });
        return await TryReadAsync(_confirmations.Reader, Timeout)
            ?? throw new TimeoutException($"No confirmation within {Timeout.TotalSeconds} s.");
    }

    /// <summary>Sends any message, e.g. a second 'open' to provoke an error; if the gateway has
    /// already ended the call, <see cref="FailureAsync"/> says how.</summary>
    public Task SendAsync(SubscribeRequest request) => _call.RequestStream.WriteOrEndedAsync(request);

    /// <summary>Waits for the stream to end with an error and returns it.</summary>
    public async Task<RpcException> FailureAsync()
    {
        await _pump.WaitAsync(Timeout);
        return Assert.IsType<RpcException>(_failure);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_pump.IsCompleted)
            {
                // End our side; the server then ends the call and releases what this stream held.
                await _call.RequestStream.CompleteAsync();
                await _pump.WaitAsync(Timeout);
            }
        }
        catch (Exception exception) when (exception is RpcException or InvalidOperationException or TimeoutException)
        {
            // Already failed or not ending: disposing the call below cancels it.
        }
        finally
        {
            _call.Dispose();
        }
    }

    private async Task PumpAsync()
    {
        try
        {
            while (await _call.ResponseStream.MoveNext(CancellationToken.None))
            {
                var message = _call.ResponseStream.Current;
                switch (message.EventCase)
                {
                    case SubscribeResponse.EventOneofCase.Notice:
                        _notices.Writer.TryWrite(message.Notice);
                        break;
                    case SubscribeResponse.EventOneofCase.Acknowledged:
                        _confirmations.Writer.TryWrite(message.Acknowledged);
                        break;
                    default:
                        throw new InvalidOperationException($"Unexpected {message.EventCase} message after 'opened'.");
                }
            }
            _notices.Writer.TryComplete();
            _confirmations.Writer.TryComplete();
        }
        catch (Exception exception)
        {
            _failure = exception;
            _notices.Writer.TryComplete(exception);
            _confirmations.Writer.TryComplete(exception);
        }
    }

    private static async Task<T?> TryReadAsync<T>(ChannelReader<T> reader, TimeSpan wait)
        where T : class
    {
        using var timeout = new CancellationTokenSource(wait);
        try
        {
            return await reader.ReadAsync(timeout.Token);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            return null;
        }
        catch (ChannelClosedException closed)
        {
            throw Unwrap(closed) is RpcException failure
                ? failure
                : new InvalidOperationException("The stream ended.", closed);
        }
    }

    private static Exception? Unwrap(Exception? exception)
    {
        while (exception is ChannelClosedException && exception.InnerException is not null)
        {
            exception = exception.InnerException;
        }
        return exception;
    }
}
