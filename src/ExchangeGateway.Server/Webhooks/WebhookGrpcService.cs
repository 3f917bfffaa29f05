using ExchangeGateway.Contracts.V1;
using ExchangeGateway.Server.Audit;
using Grpc.Core;
using Microsoft.EntityFrameworkCore;

namespace ExchangeGateway.Server.Webhooks;

/// <summary>WebhookService: the subscriptions of the registry as they stand, and the operator's
/// retry of parked notices. Chain coordination only (see <see cref="AccessPolicy"/>).</summary>
internal sealed class WebhookGrpcService(FileBackedValue<OrganisationRegistry> registry, WebhookDispatcher dispatcher, GatewayStore store, RetryParkedNoticesUseCase retry)
    : WebhookService.WebhookServiceBase
{
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
    public override Task<RetryParkedNoticesResponse> RetryParkedNotices(RetryParkedNoticesRequest request, ServerCallContext context) =>
        retry.RunAsync(request, context);
}
