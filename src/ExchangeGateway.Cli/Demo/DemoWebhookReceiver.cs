using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using ExchangeGateway.Client.Connection;
using ExchangeGateway.Client.Webhooks;
using ExchangeGateway.Contracts.V1;
using ExchangeGateway.Server.Identity;
using ExchangeGateway.Server.Webhooks;
using Google.Protobuf;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.Logging;

namespace ExchangeGateway.Cli.Demo;

/// <summary>A municipality whose BRP system cannot hold a stream: the gateway posts its feed to this
/// receiver (HTTPS, mutual TLS with the gateway's own client certificate, Standard Webhooks signatures
/// checked, each event taken in once by its id). An event is thin, so the receiver reads the arrival it
/// names through the REST surface with its own certificate, acts on it like a streaming municipality,
/// and answers 204, which is its acknowledgement; a failure answers 503 and the gateway retries.</summary>
internal sealed class DemoWebhookReceiver : IAsyncDisposable
{
    private static readonly JsonParser Parser = new(JsonParser.Settings.Default.WithIgnoreUnknownFields(true));

    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, bool> _taken = new(StringComparer.Ordinal);

    private DemoWebhookReceiver(WebApplication app) => _app = app;

    public Uri Url { get; private set; } = null!;

    public string Secret { get; } = WebhookSecret.Create();

    /// <summary>Starts the receiver; <paramref name="handle"/> acts on each notice (built from the event and the arrival read).</summary>
    public static async Task<DemoWebhookReceiver> StartAsync(string certificates, Func<Notice, Task> handle, Func<Uri> gateway, string organisation)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        var anchors = new X509Certificate2Collection();
        anchors.ImportFromPemFile(Path.Combine(certificates, DevCertificateAuthority.CaFile));
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen => listen.UseHttps(https =>
        {
            https.ServerCertificate = X509Certificate2.CreateFromPemFile(
                DevCertificateAuthority.CertificatePath(certificates, DevCertificateAuthority.ServerName), DevCertificateAuthority.KeyPath(certificates, DevCertificateAuthority.ServerName));
            https.ClientCertificateMode = ClientCertificateMode.RequireCertificate;
            https.ClientCertificateValidation = (certificate, _, _) =>
            {
                using var chain = new X509Chain();
                chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.AddRange(anchors);
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                return chain.Build(certificate);
            };
        })));
        var app = builder.Build();
        var receiver = new DemoWebhookReceiver(app);
        var verifier = new WebhookVerifier(receiver.Secret);
        var rest = new Lazy<HttpClient>(() => new HttpClient(GatewayChannel.CreateHandler(GatewayConnectionOptions.FromPem(gateway(),
            DevCertificateAuthority.CertificatePath(certificates, organisation), DevCertificateAuthority.KeyPath(certificates, organisation),
            Path.Combine(certificates, DevCertificateAuthority.CaFile)))) { BaseAddress = gateway() });
        app.MapPost("/brp/notices", async (HttpContext context) =>
        {
            using var buffer = new MemoryStream();
            await context.Request.Body.CopyToAsync(buffer);
            var body = buffer.ToArray();
            var headers = context.Request.Headers;
            if (!verifier.Verify(headers["webhook-id"], headers["webhook-timestamp"], headers["webhook-signature"], body))
            {
                return Results.StatusCode(StatusCodes.Status401Unauthorized);
            }
            if (receiver._taken.ContainsKey(headers["webhook-id"].ToString()))
            {
                return Results.NoContent(); // a redelivery of what was taken in: acknowledge again
            }
            try
            {
                await handle(await NoticeOfAsync(rest.Value, body));
            }
            catch (Exception exception) when (exception is HttpRequestException or Grpc.Core.RpcException or JsonException or InvalidProtocolBufferException)
            {
                return Results.StatusCode(StatusCodes.Status503ServiceUnavailable);
            }
            receiver._taken[headers["webhook-id"].ToString()] = true;
            return Results.NoContent();
        });
        await app.StartAsync();
        receiver.Url = new Uri(new Uri(app.Urls.First().Replace("127.0.0.1", "localhost", StringComparison.Ordinal)), "/brp/notices");
        return receiver;
    }

    /// <summary>The notice a thin event stands for: its type and subject, with the arrival read through
    /// the REST surface where the handler needs it.</summary>
    private static async Task<Notice> NoticeOfAsync(HttpClient rest, byte[] body)
    {
        using var cloudEvent = JsonDocument.Parse(body);
        var root = cloudEvent.RootElement;
        var notice = new Notice
        {
            NoticeId = root.GetProperty("id").GetString()!,
            Type = root.GetProperty("type").GetString()!,
            Subject = root.GetProperty("subject").GetString()!,
            Sequence = ulong.Parse(root.GetProperty("sequence").GetString()!, System.Globalization.CultureInfo.InvariantCulture),
        };
        switch (notice.Type)
        {
            case "nl.asielketen.aankomst-aangekondigd":
                var arrival = Parser.Parse<ArrivalResponse>(await rest.GetStringAsync($"/v1/arrivals/{notice.Subject}")).Arrival;
                notice.ArrivalAnnounced = new ArrivalAnnounced { ArrivalId = arrival.ArrivalId, Details = arrival.Details, LateAnnouncement = arrival.LateAnnouncement };
                break;
            case "nl.asielketen.aankomst-gemeld":
                notice.TravellersArrived = new TravellersArrived { ArrivalId = notice.Subject };
                break;
        }
        return notice;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
