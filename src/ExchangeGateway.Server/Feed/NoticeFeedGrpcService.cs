using System.Threading.Channels;
using ExchangeGateway.Contracts.V1;
using ExchangeGateway.Server.Audit;
using ExchangeGateway.Server.Errors;
using ExchangeGateway.Server.Hosting;
using ExchangeGateway.Server.Identity;
using ExchangeGateway.Server.Storage;
using Grpc.Core;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace ExchangeGateway.Server.Feed;

/// <summary>NoticeFeed.Subscribe: one bidirectional stream on the caller's own feed.</summary>
internal sealed class NoticeFeedGrpcService(
    FeedHub hub,
    Acknowledgements acknowledgements,
    GatewayStore store,
    FeedAccessMonitor access,
    IOptions<GatewayOptions> options,
    IHostApplicationLifetime lifetime) : NoticeFeed.NoticeFeedBase
{
    private const int MaxSequencesPerAcknowledge = 10_000;

    public override async Task Subscribe(IAsyncStreamReader<SubscribeRequest> requestStream, IServerStreamWriter<SubscribeResponse> responseStream, ServerCallContext context)
    {
        var caller = CallerInterceptor.CallerOf(context);
        var cancellationToken = context.CancellationToken;
        if (!await requestStream.MoveNext(cancellationToken))
        {
            return;
        }
        if (requestStream.Current.ActionCase != SubscribeRequest.ActionOneofCase.Open)
        {
            throw GatewayErrors.InvalidArgument("open", "the first message on a stream must be 'open'");
        }
        var open = requestStream.Current.Open;
        var feed = ChooseFeed(caller, open.MunicipalityCode);
        var window = open.MaxUnacknowledged == 0
            ? options.Value.DefaultStreamWindow
            : (int)Math.Min(open.MaxUnacknowledged, (uint)options.Value.MaxStreamWindow);

        var (head, unacknowledged) = await store.ReadAsync(async (db, token) =>
        {
            var head = await db.Feeds.Where(f => f.Id == feed).Select(f => f.HeadSequence).FirstOrDefaultAsync(token);
            var count = await db.Notices.CountAsync(n => n.FeedId == feed && n.AcknowledgedAt == null, token);
            return (head, count);
        }, cancellationToken);
        if (open.FromSequence > (ulong)long.MaxValue)
        {
            throw GatewayErrors.InvalidArgument("open.from_sequence", "is out of range");
        }

        var dispatcher = hub.Dispatcher(feed);
        var stream = dispatcher.Attach(window, (long)open.FromSequence);
        // A stopping gateway ends its streams at once instead of holding its shutdown until the host's
        // timeout; subscribers reconnect, and whatever is unacknowledged is delivered again.
        using var stopping = lifetime.ApplicationStopping.Register(stream.Close);
        // A caller whose certificate is revoked, or whose organisation leaves the registry, while the
        // stream is open loses it: the reload ends the stream's work and the call ends with why.
        using var ending = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        RpcException? refusal = null;
        var token = ending.Token;
        try
        {
            using var watch = access.Add(context.GetHttpContext().Connection.ClientCertificate!, feed, refused =>
            {
                Volatile.Write(ref refusal, refused);
                stream.Close();
                Cancel(ending);
            });
            await responseStream.WriteAsync(new SubscribeResponse
            {
                Opened = new FeedOpened
                {
                    Feed = feed,
                    HeadSequence = (ulong)head,
                    MaxUnacknowledged = (uint)window,
                    UnacknowledgedCount = (ulong)unacknowledged,
                },
            }, token);
            var acknowledged = Channel.CreateBounded<long[]>(new BoundedChannelOptions(64) { SingleReader = true, SingleWriter = true });
            var writer = WriteAsync(stream, responseStream, token);
            var acking = AcknowledgeAsync(caller, AuditScope.Of(context), feed, dispatcher, stream, acknowledged.Reader, token);
            var reader = ReadAsync(requestStream, acknowledged.Writer, token);
            // Whichever ends first ends the call: the client closing its side, the connection dropping,
            // a bad message from the client, or the caller losing its right to the feed.
            var finished = await Task.WhenAny(reader, writer, acking);
            if (Volatile.Read(ref refusal) is { } refused)
            {
                throw refused;
            }
            await finished;
            if (lifetime.ApplicationStopping.IsCancellationRequested)
            {
                throw GatewayErrors.Unavailable("The gateway is shutting down; reconnect: unacknowledged notices are delivered again.");
            }
            if (finished == reader)
            {
                // The client closed its side: make what it acknowledged durable before ending.
                await acking;
            }
        }
        catch (OperationCanceledException) when (Volatile.Read(ref refusal) is not null)
        {
            throw Volatile.Read(ref refusal)!;
        }
        finally
        {
            dispatcher.Detach(stream);
        }
    }

    /// <summary>Cancels from the reloading thread; the call may have ended (and disposed it) meanwhile.</summary>
    private static void Cancel(CancellationTokenSource source)
    {
        try
        {
            source.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    private static async Task ReadAsync(IAsyncStreamReader<SubscribeRequest> requestStream, ChannelWriter<long[]> acknowledged, CancellationToken cancellationToken)
    {
        try
        {
            await ReadAcknowledgementsAsync(requestStream, acknowledged, cancellationToken);
        }
        finally
        {
            acknowledged.TryComplete();
        }
    }

    private static async Task ReadAcknowledgementsAsync(IAsyncStreamReader<SubscribeRequest> requestStream, ChannelWriter<long[]> acknowledged, CancellationToken cancellationToken)
    {
        while (await requestStream.MoveNext(cancellationToken))
        {
            var message = requestStream.Current;
            if (message.ActionCase != SubscribeRequest.ActionOneofCase.Acknowledge)
            {
                throw GatewayErrors.InvalidArgument("open", "'open' is only allowed as the first message");
            }
            var sequences = message.Acknowledge.Sequences;
            if (sequences.Count == 0)
            {
                continue;
            }
            if (sequences.Count > MaxSequencesPerAcknowledge)
            {
                throw GatewayErrors.InvalidArgument("acknowledge.sequences", $"must hold at most {MaxSequencesPerAcknowledge} sequences per message");
            }
            if (sequences.Any(s => s == 0 || s > long.MaxValue))
            {
                throw GatewayErrors.InvalidArgument("acknowledge.sequences", "sequences start at 1");
            }
            await acknowledged.WriteAsync([.. sequences.Select(s => (long)s)], cancellationToken);
        }
    }

    /// <summary>Makes acknowledgements durable. While one write is being committed, the messages that
    /// arrive meanwhile are gathered and made durable together in the next, so a subscriber that
    /// acknowledges notice by notice still costs one commit per round trip, not one per notice.</summary>
    private async Task AcknowledgeAsync(Caller caller, AuditScope? audit, string feed, FeedDispatcher dispatcher, FeedStream stream,
        ChannelReader<long[]> acknowledged, CancellationToken cancellationToken)
    {
        var gathered = new List<long>();
        while (await acknowledged.WaitToReadAsync(cancellationToken))
        {
            gathered.Clear();
            while (gathered.Count < MaxSequencesPerAcknowledge && acknowledged.TryRead(out var sequences))
            {
                gathered.AddRange(sequences);
            }
            var confirmed = await acknowledgements.AcknowledgeAsync(caller, feed, gathered, cancellationToken, audit);
            dispatcher.OnAcknowledged(confirmed.Sequences.Select(s => (long)s), stream);
            stream.Send(new SubscribeResponse { Acknowledged = confirmed });
        }
    }

    private static async Task WriteAsync(FeedStream stream, IServerStreamWriter<SubscribeResponse> responseStream, CancellationToken cancellationToken)
    {
        await foreach (var message in stream.Outgoing.ReadAllAsync(cancellationToken))
        {
            await responseStream.WriteAsync(message, cancellationToken);
        }
    }

    /// <summary>The caller's own feed; a municipal organisation serving several codes names one.</summary>
    private static string ChooseFeed(Caller caller, string municipalityCode)
    {
        var organisation = caller.Organisation;
        if (organisation.Role != OrganisationRole.Municipality)
        {
            if (municipalityCode.Length > 0)
            {
                throw GatewayErrors.InvalidArgument("open.municipality_code", "must be empty: only municipal organisations have municipality feeds");
            }
            return organisation.Feeds.Single();
        }
        if (municipalityCode.Length == 0)
        {
            return organisation.MunicipalityCodes.Count == 1
                ? FeedNames.Municipality(organisation.MunicipalityCodes[0])
                : throw GatewayErrors.InvalidArgument("open.municipality_code", "is required: your organisation serves several municipality codes");
        }
        if (!organisation.Serves(municipalityCode))
        {
            throw GatewayErrors.PermissionDenied("NOT_YOUR_FEED", "Your organisation does not serve this municipality code; you can only open your own feed.");
        }
        return FeedNames.Municipality(municipalityCode);
    }
}
