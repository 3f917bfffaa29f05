using ExchangeGateway.Contracts.V1;

namespace ExchangeGateway.Server.Webhooks;

/// <summary>The operator puts a subscription's parked notices back in its delivery, once the receiver
/// is mended; the delivery is woken after the release is stored.</summary>
internal sealed class RetryParkedNoticesUseCase(GatewayStore store, FileBackedValue<OrganisationRegistry> registry, WebhookDispatcher dispatcher)
    : WriteUseCase<RetryParkedNoticesRequest, RetryParkedNoticesResponse>(store)
{
    /// <summary>As long as a feed name can be (the notices table's key).</summary>
    private const int MaxFeedLength = 32;

    protected override void Validate(RetryParkedNoticesRequest request, Caller caller, Violations violations)
    {
        if (request.Feed.Length is 0 or > MaxFeedLength)
        {
            // Never echoed: the answer must stay small whatever was sent (a long one overflowed the trailers).
            violations.Add("feed", $"is required, at most {MaxFeedLength} characters: the feed of a webhook subscription, as ListWebhookSubscriptions names it");
        }
    }

    protected override void Check(RetryParkedNoticesRequest request, Caller caller)
    {
        if (!registry.Current.Webhooks.Any(w => w.Endpoint.Feed == request.Feed))
        {
            throw GatewayErrors.NotFound("exchange.v1.WebhookSubscription", request.Feed, $"No webhook subscription delivers feed '{request.Feed}'.");
        }
    }

    protected override async Task<RetryParkedNoticesResponse> SubmitAsync(RetryParkedNoticesRequest request, Caller caller, string method, CancellationToken cancellationToken)
    {
        var response = await base.SubmitAsync(request, caller, method, cancellationToken);
        dispatcher.Find(request.Feed)?.Released(response.Sequences.Select(s => (long)s));
        return response;
    }

    protected override async Task<RetryParkedNoticesResponse> ExecuteAsync(RetryParkedNoticesRequest request, WriteContext write)
    {
        var released = new RetryParkedNoticesResponse();
        released.Sequences.AddRange((await WebhookParking.ReleaseAsync(write, request.Feed)).Select(s => (ulong)s));
        return released;
    }
}
