using System.Globalization;
using System.Net.Mime;
using System.Text.Json;
using CloudNative.CloudEvents;
using CloudNative.CloudEvents.SystemTextJson;
using ExchangeGateway.Contracts.V1;
using Google.Protobuf;

namespace ExchangeGateway.Server.Webhooks;

/// <summary>A notice as a structured CloudEvent (<c>application/cloudevents+json</c>) in the NL GOV
/// profile: <c>id</c> the notice id (the same on every retry), <c>source</c> the
/// "urn:nld:oin:…:systeem:…" of the organisation whose change caused it, <c>type</c> the notice type,
/// <c>subject</c> the arrival, <c>time</c> the commit, the extension <c>sequence</c> its place in the
/// feed. A thin event carries no data, only a <c>dataref</c> to the arrival on the REST surface when
/// the gateway's public address is set; a full one carries the notice as JSON.</summary>
internal static class WebhookEvents
{
    public const string ContentType = "application/cloudevents+json; charset=utf-8";

    private static readonly CloudEventAttribute Sequence = CloudEventAttribute.CreateExtension("sequence", CloudEventAttributeType.String);
    private static readonly CloudEventAttribute DataRef = CloudEventAttribute.CreateExtension("dataref", CloudEventAttributeType.UriReference);
    private static readonly JsonEventFormatter Formatter = new();
    private static readonly JsonFormatter NoticeJson = new(JsonFormatter.Settings.Default.WithFormatEnumsAsIntegers(false));

    public static byte[] Encode(Notice notice, WebhookContent content, string? publicBaseUrl)
    {
        var cloudEvent = new CloudEvent(CloudEventsSpecVersion.V1_0, [Sequence, DataRef])
        {
            Id = notice.NoticeId,
            Type = notice.Type,
            Source = new Uri(notice.Source, UriKind.RelativeOrAbsolute),
            Time = notice.Time?.ToDateTimeOffset(),
            Subject = notice.Subject,
        };
        cloudEvent[Sequence] = notice.Sequence.ToString(CultureInfo.InvariantCulture);
        if (content == WebhookContent.Full)
        {
            cloudEvent.DataContentType = MediaTypeNames.Application.Json;
            using var data = JsonDocument.Parse(NoticeJson.Format(notice));
            cloudEvent.Data = data.RootElement.Clone();
        }
        else if (publicBaseUrl is { Length: > 0 } && notice.PayloadCase != Notice.PayloadOneofCase.UnannouncedArrivalReported)
        {
            cloudEvent[DataRef] = new Uri($"{publicBaseUrl.TrimEnd('/')}/v1/arrivals/{Uri.EscapeDataString(notice.Subject)}", UriKind.Absolute);
        }
        return Formatter.EncodeStructuredModeMessage(cloudEvent, out _).ToArray();
    }
}
