using ExchangeGateway.Contracts.V1;
using ExchangeGateway.Server.Audit;
using ExchangeGateway.Server.Errors;
using ExchangeGateway.Server.Hosting;
using ExchangeGateway.Server.Identity;
using ExchangeGateway.Server.Storage;
using ExchangeGateway.Server.Validation;
using Grpc.Core;
using Microsoft.EntityFrameworkCore;

namespace ExchangeGateway.Server.Webhooks;

/// <summary>WebhookService: the subscriptions of the registry as they stand, and the operator's
/// retry of parked notices. Chain coordination only (see <see cref="AccessPolicy"/>).</summary>
internal sealed class WebhookGrpcService(FileBackedValue<OrganisationRegistry> registry, WebhookDispatcher dispatcher, GatewayStore store)
    : WebhookService.WebhookServiceBase
{
    /// <summary>As long as a feed name can be (the notices table's key).</summary>
    private const int MaxFeedLength = 32;

    [Allow(OrganisationRole.ChainCoordination)]
    [ProcessingActivity("Beheren webhooks")]
    public override async Task<ListWebhookSubscriptionsResponse> ListWebhookSubscriptions(ListWebhookSubscriptionsRequest request, ServerCallContext context)
    {
        var subscriptions = registry.Current.Webhooks.ToList();
        var feeds = subscriptions.Select(s => s.Endpoint.Feed).ToList();
        var counts = await store.ReadAsync((db, token) => db.Notices.AsNoTracking()
            .Where(n => feeds.Contains(n.FeedId) && n.AcknowledgedAt == null)
            .GroupBy(n => n.FeedId)
            .Select(g => new { Feed = g.Key, Unacknowledged = g.Count(), Parked = g.Count(n => n.ParkedAt != null) })
            .ToDictionaryAsync(c => c.Feed, StringComparer.Ordinal, token), context.CancellationToken);
        var response = new ListWebhookSubscriptionsResponse();
        foreach (var (organisation, endpoint) in subscriptions.OrderBy(s => s.Endpoint.Feed, StringComparer.Ordinal))
        {
            var delivery = dispatcher.Find(endpoint.Feed);
            var (last, failures) = delivery?.Status ?? (null, 0);
            var count = counts.GetValueOrDefault(endpoint.Feed);
            response.Subscriptions.Add(new WebhookSubscription
            {
                Feed = endpoint.Feed,
                OrganisationId = organisation.Id,
                Url = endpoint.Url.ToString(),
                Concurrency = (uint)(delivery?.Concurrency ?? endpoint.Concurrency ?? 0),
                Unacknowledged = (ulong)(count?.Unacknowledged ?? 0),
                Parked = (ulong)(count?.Parked ?? 0),
                LastAttempt = last,
                ConsecutiveFailures = failures,
            });
        }
        return response;
    }

    [Allow(OrganisationRole.ChainCoordination)]
    [ProcessingActivity("Beheren webhooks")]
    public override async Task<RetryParkedNoticesResponse> RetryParkedNotices(RetryParkedNoticesRequest request, ServerCallContext context)
    {
        var violations = new Violations();
        violations.RequestId(request.RequestId);
        if (request.Feed.Length is 0 or > MaxFeedLength)
        {
            // Never echoed: the answer must stay small whatever was sent (a long one overflowed the trailers).
            violations.Add("feed", $"is required, at most {MaxFeedLength} characters: the feed of a webhook subscription, as ListWebhookSubscriptions names it");
        }
        violations.ThrowIfAny();
        if (!registry.Current.Webhooks.Any(w => w.Endpoint.Feed == request.Feed))
        {
            throw GatewayErrors.NotFound("exchange.v1.WebhookSubscription", request.Feed, $"No webhook subscription delivers feed '{request.Feed}'.");
        }
        var caller = CallerInterceptor.CallerOf(context);
        var response = await store.ExecuteAsync(caller, context.Method, request, request.RequestId, async write =>
        {
            var released = new RetryParkedNoticesResponse();
            released.Sequences.AddRange((await WebhookParking.ReleaseAsync(write, request.Feed)).Select(s => (ulong)s));
            return released;
        }, context.CancellationToken);
        dispatcher.Find(request.Feed)?.Released(response.Sequences.Select(s => (long)s));
        return response;
    }
}
