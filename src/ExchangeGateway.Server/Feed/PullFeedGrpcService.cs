using ExchangeGateway.Contracts.V1;
using ExchangeGateway.Server.Audit;
using Google.Rpc;
using Grpc.Core;
using Microsoft.Extensions.Options;

namespace ExchangeGateway.Server.Feed;

/// <summary>PullFeedService: the feed for consumers that poll (REST, integration tooling). A fetch is a
/// lease in the feed engine, like a stream that takes up to N notices once; acknowledgements go through
/// the same writer as a stream's, so every promise of the feed holds across streams and pollers.</summary>
internal sealed class PullFeedGrpcService(FeedHub hub, AcknowledgementWriter acknowledgements, IOptions<GatewayOptions> options, TimeProvider time)
    : PullFeedService.PullFeedServiceBase
{
    private const int DefaultNotices = 100;
    private const int MaxNotices = 500;
    private const int MaxSequences = 10_000;

    [Allow(OrganisationRole.Coa, OrganisationRole.Ind, OrganisationRole.ChainCoordination, OrganisationRole.Municipality)]
    [ProcessingActivity(ProcessingActivityAttribute.ReceivingNotices)]
    public override async Task<FetchNoticesResponse> FetchNotices(FetchNoticesRequest request, ServerCallContext context)
    {
        var caller = CallerInterceptor.CallerOf(context);
        var violations = new List<BadRequest.Types.FieldViolation>();
        if (request.MaxNotices > MaxNotices)
        {
            violations.Add(new() { Field = "max_notices", Description = $"must be 0 (default {DefaultNotices}) to {MaxNotices}" });
        }
        var wait = TimeSpan.Zero;
        if (request.Wait is { } asked)
        {
            var maxWait = MaxWait(options.Value);
            if (asked.Seconds < 0 || asked.Nanos < 0 || asked.Nanos >= 1_000_000_000 || asked.Seconds > (long)maxWait.TotalSeconds + 1
                || (wait = asked.ToTimeSpan()) > maxWait)
            {
                violations.Add(new() { Field = "wait", Description = $"must be 0 to {maxWait.TotalSeconds:0.###} s" });
            }
        }
        if (violations.Count > 0)
        {
            throw GatewayErrors.InvalidArgument(violations);
        }
        var feed = AccessPolicy.FeedOf(caller, request.MunicipalityCode, "municipality_code");
        var leasedAt = time.GetUtcNow();
        var taken = await hub.Engine(feed).FetchAsync(request.MaxNotices == 0 ? DefaultNotices : (int)request.MaxNotices, wait,
            caller, AuditScope.Of(context), context.CancellationToken);
        var response = new FetchNoticesResponse
        {
            LeaseId = Guid.CreateVersion7().ToString(),
            LeaseExpiresAt = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(leasedAt + options.Value.RedeliveryTimeout),
        };
        response.Notices.AddRange(taken.Select(m => m.ToResponse().Notice).OrderBy(n => n.Sequence));
        return response;
    }

    /// <summary>The setting, and at most half the unary call limit: a fetch that waits must still answer.</summary>
    private static TimeSpan MaxWait(GatewayOptions options) =>
        options.Limits.MaxUnaryCallDuration > TimeSpan.Zero && options.Limits.MaxUnaryCallDuration / 2 < options.MaxFetchWait
            ? options.Limits.MaxUnaryCallDuration / 2
            : options.MaxFetchWait;

    [Allow(OrganisationRole.Coa, OrganisationRole.Ind, OrganisationRole.ChainCoordination, OrganisationRole.Municipality)]
    [ProcessingActivity(ProcessingActivityAttribute.ReceivingNotices)]
    public override async Task<AcknowledgeNoticesResponse> AcknowledgeNotices(AcknowledgeNoticesRequest request, ServerCallContext context)
    {
        var caller = CallerInterceptor.CallerOf(context);
        if (request.Sequences.Count is 0 or > MaxSequences)
        {
            throw GatewayErrors.InvalidArgument("sequences", $"must hold 1 to {MaxSequences} sequences");
        }
        if (request.Sequences.Any(s => s == 0 || s > long.MaxValue))
        {
            throw GatewayErrors.InvalidArgument("sequences", "sequences start at 1");
        }
        var feed = AccessPolicy.FeedOf(caller, request.MunicipalityCode, "municipality_code");
        var via = hub.Engine(feed).Unattached(caller, AuditScope.Of(context));
        await acknowledgements.SubmitAsync(via, request.Sequences.Select(s => (long)s), context.CancellationToken);
        await acknowledgements.FlushAsync(via);
        if (via.Ended.IsCompleted)
        {
            throw await via.Ended;
        }
        var confirmed = via.TakeNext()?.ToResponse().Acknowledged
            ?? throw GatewayErrors.Unavailable("The acknowledgements could not be confirmed; acknowledge again.");
        var response = new AcknowledgeNoticesResponse();
        response.Sequences.AddRange(confirmed.Sequences);
        response.UnknownSequences.AddRange(confirmed.UnknownSequences);
        return response;
    }
}
