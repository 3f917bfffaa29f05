namespace ExchangeGateway.Server.Webhooks;

/// <summary>A feed delivered by HTTPS POST, as the operator set it in the organisation registry:
/// <code>"webhooks": [ { "municipalityCode": "0344", "url": "https://brp.example.nl/exgw/notices",
///   "secretPath": "webhook-0344.secret", "concurrency": 4, "content": "Thin" } ]</code>
/// The secret file holds a Standard Webhooks secret ("whsec_" and at least 24 random bytes in base64);
/// a relative path is taken from the registry's folder.</summary>
public sealed record WebhookEndpoint(string Feed, Uri Url, string SecretPath, byte[] Secret, int? Concurrency, WebhookContent Content);

/// <summary>What a webhook request carries.</summary>
public enum WebhookContent
{
    /// <summary>The event without its data: type, subject, sequence and a <c>dataref</c> to read the
    /// arrival through the API (no personal data leaves the gateway unasked).</summary>
    Thin,

    /// <summary>The notice itself as the event's data (as the pull feed answers it).</summary>
    Full,
}
