using System.Diagnostics;
using ExchangeGateway.Contracts.V1;
using ExchangeGateway.Server.Audit;
using ExchangeGateway.Server.Observability;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace ExchangeGateway.Server.Feed;

/// <summary>NoticeFeed.Subscribe: one bidirectional stream on the caller's own feed. Bound by hand
/// (the same method as the contract's) so the stream writes <see cref="FeedMessage"/>s: notices go out
/// as the bytes they were stored with.</summary>
[BindServiceMethod(typeof(NoticeFeedGrpcService), nameof(BindService))]
internal sealed class NoticeFeedGrpcService(
    FeedHub hub,
    AcknowledgementWriter acknowledgements,
    GatewayStore store,
    FeedAccessMonitor access,
    GatewayMetrics metrics,
    IOptions<GatewayOptions> options,
    IHostApplicationLifetime lifetime)
{
    private const int MaxSequencesPerAcknowledge = 10_000;

    private static readonly Method<SubscribeRequest, FeedMessage> SubscribeMethod = new(
        MethodType.DuplexStreaming,
        NoticeFeed.Descriptor.FullName,
        "Subscribe",
        Marshallers.Create(static (SubscribeRequest request) => request.ToByteArray(), SubscribeRequest.Parser.ParseFrom),
        FeedMessage.Marshaller);

    /// <summary>The contract's service, where JSON transcoding looks for <c>google.api.http</c> routes
    /// (Subscribe is a stream and has none).</summary>
    public static Google.Protobuf.Reflection.ServiceDescriptor Descriptor => NoticeFeed.Descriptor;

    /// <summary>What grpc-dotnet's binder calls (through <c>StrictRequestParsing</c>) to learn the method.</summary>
    public static void BindService(ServiceBinderBase binder, NoticeFeedGrpcService? service) =>
        binder.AddMethod(SubscribeMethod, (DuplexStreamingServerMethod<SubscribeRequest, FeedMessage>?)null);

    [Allow(OrganisationRole.Coa, OrganisationRole.Ind, OrganisationRole.ChainCoordination, OrganisationRole.Municipality)]
    [ProcessingActivity(ProcessingActivityAttribute.ReceivingNotices)]
    public async Task Subscribe(IAsyncStreamReader<SubscribeRequest> requestStream, IServerStreamWriter<FeedMessage> responseStream, ServerCallContext context)
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
        var feed = AccessPolicy.FeedOf(caller, open.MunicipalityCode, "open.municipality_code");
        if (open.FromSequence > (ulong)long.MaxValue)
        {
            throw GatewayErrors.InvalidArgument("open.from_sequence", "is out of range");
        }
        var window = open.MaxUnacknowledged == 0
            ? options.Value.DefaultStreamWindow
            : (int)Math.Min(open.MaxUnacknowledged, (uint)options.Value.MaxStreamWindow);

        var (head, unacknowledged) = await store.ReadAsync(async (db, token) =>
        {
            var head = await db.Feeds.Where(f => f.Id == feed).Select(f => f.HeadSequence).FirstOrDefaultAsync(token);
            var count = await db.Notices.CountAsync(n => n.FeedId == feed && n.AcknowledgedAt == null, token);
            return (head, count);
        }, cancellationToken);

        var engine = hub.Engine(feed);
        // A caller whose certificate is revoked, or whose organisation leaves the registry, while the
        // stream is open loses it: the reload ends the stream's work and the call ends with why.
        using var ending = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        // A stopping gateway ends its streams at once instead of holding its shutdown until the host's
        // timeout; subscribers reconnect, and whatever is unacknowledged is delivered again.
        using var stopping = lifetime.ApplicationStopping.Register(() => Cancel(ending));
        RpcException? refusal = null;
        var token = ending.Token;
        FeedSubscription? subscription = null;
        Task? writer = null;
        Task? reader = null;
        try
        {
            using var watch = access.Add(context.GetHttpContext().Connection.ClientCertificate!, feed, refused =>
            {
                Volatile.Write(ref refusal, refused);
                Cancel(ending);
            });
            await responseStream.WriteAsync(FeedMessage.ForEvent(new SubscribeResponse
            {
                Opened = new FeedOpened
                {
                    Feed = feed,
                    HeadSequence = (ulong)head,
                    MaxUnacknowledged = (uint)window,
                    UnacknowledgedCount = (ulong)unacknowledged,
                },
            }), token);
            subscription = engine.Attach(window, (long)open.FromSequence, caller, AuditScope.Of(context));
            writer = WriteAsync(subscription, responseStream, token);
            reader = ReadAsync(subscription, requestStream, token);
            // Whichever ends first ends the call: the client closing its side, the connection dropping,
            // a bad message from the client, the caller losing its right to the feed, or acknowledgements
            // that could not be stored.
            var finished = await Task.WhenAny(reader, writer, subscription.Ended);
            if (Volatile.Read(ref refusal) is { } refused)
            {
                throw refused;
            }
            if (finished == subscription.Ended)
            {
                throw await subscription.Ended;
            }
            await finished;
            if (lifetime.ApplicationStopping.IsCancellationRequested)
            {
                throw StoppingError();
            }
            if (finished == reader)
            {
                // The client closed its side: make what it acknowledged durable, and confirmed, before ending.
                await acknowledgements.FlushAsync(subscription);
                if (subscription.Ended.IsCompleted)
                {
                    throw await subscription.Ended;
                }
                subscription.Finish();
                await writer;
            }
        }
        catch (OperationCanceledException) when (Volatile.Read(ref refusal) is not null)
        {
            throw Volatile.Read(ref refusal)!;
        }
        catch (OperationCanceledException) when (lifetime.ApplicationStopping.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw StoppingError();
        }
        finally
        {
            Cancel(ending);
            // The call ends only once its reader has stopped: a read of the request stream still pending
            // when the method returns races the end of the request, and the caller may see the stream
            // torn down (UNAVAILABLE, "pending read of the request body") instead of the status thrown
            // here, such as the PERMISSION_DENIED of a registry reload. The reader honours the token.
            if (reader is not null)
            {
                await reader.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            }
            // The writer ends with the call; what it ends with was answered above.
            _ = writer?.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
            if (subscription is not null)
            {
                engine.Detach(subscription);
            }
        }
    }

    private static RpcException StoppingError() =>
        GatewayErrors.Unavailable("The gateway is shutting down; reconnect: unacknowledged notices are delivered again.");

    /// <summary>Cancels from the reloading or stopping thread; the call may have ended (and disposed it) meanwhile.</summary>
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

    private async Task ReadAsync(FeedSubscription subscription, IAsyncStreamReader<SubscribeRequest> requestStream, CancellationToken cancellationToken)
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
            await acknowledgements.SubmitAsync(subscription, sequences.Select(s => (long)s), cancellationToken);
        }
    }

    /// <summary>Writes what the stream has next, one message at a time; a notice counts as written (its
    /// place in memory freed) when the transport has taken it. What is written between two waits is
    /// one delivery batch: one span, however many notices it holds.</summary>
    private async Task WriteAsync(FeedSubscription subscription, IServerStreamWriter<FeedMessage> responseStream, CancellationToken cancellationToken)
    {
        var kind = GatewayMetrics.FeedKindTag(subscription.Engine.Feed);
        var batch = new DeliveryBatch(kind);
        try
        {
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (subscription.TakeNext() is not { } message)
                {
                    batch.End();
                    if (subscription.Finishing)
                    {
                        return;
                    }
                    await subscription.WaitAsync(cancellationToken);
                    continue;
                }
                batch.Begin();
                await responseStream.WriteAsync(message, cancellationToken);
                if (message.IsNotice)
                {
                    subscription.Engine.Written(subscription);
                    batch.Notices++;
                    (message.IsRedelivery ? metrics.NoticesRedelivered : metrics.NoticesDelivered).Add(1, kind);
                }
            }
        }
        finally
        {
            batch.End();
        }
    }

    /// <summary>The span of one delivery batch (started by its first message, ended when the stream
    /// has nothing more to write or ends).</summary>
    private sealed class DeliveryBatch(KeyValuePair<string, object?> kind)
    {
        private Activity? _activity;

        public int Notices { get; set; }

        public void Begin()
        {
            if (_activity is null && GatewayMetrics.Activities.HasListeners())
            {
                _activity = GatewayMetrics.Activities.StartActivity("deliver notices");
                _activity?.SetTag(kind.Key, kind.Value);
            }
        }

        public void End()
        {
            _activity?.SetTag("notices", Notices);
            _activity?.Dispose();
            _activity = null;
            Notices = 0;
        }
    }
}
