using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using ExchangeGateway.Client.Webhooks;
using ExchangeGateway.Server.Identity;
using ExchangeGateway.Server.Webhooks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.Logging;

namespace ExchangeGateway.Tests.Shared;

/// <summary>A webhook receiver as a municipality would run one: real Kestrel over HTTPS with the
/// development server certificate (localhost), requiring a client certificate that chains to the
/// development CA. It records every request (headers, body, whether its signature verified, the client
/// certificate's subject) and answers what <see cref="Answer"/> says.</summary>
internal sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;

    private WebhookReceiver(WebApplication app, int port, string secret)
    {
        _app = app;
        Port = port;
        Secret = secret;
    }

    public int Port { get; }

    public string Secret { get; }

    public Uri Url => new($"https://localhost:{Port}/exgw/notices");

    public ConcurrentQueue<ReceivedWebhook> Received { get; } = new();

    /// <summary>How to answer a request (status, optional Retry-After seconds, optional delay); 204 by default.</summary>
    public Func<ReceivedWebhook, (int Status, int? RetryAfter, TimeSpan Delay)> Answer { get; set; } = _ => (204, null, TimeSpan.Zero);

    public static async Task<WebhookReceiver> StartAsync(int port = 0, string? secret = null)
    {
        secret ??= WebhookSecret.Create();
        var verifier = new WebhookVerifier(secret, TimeSpan.FromDays(3650));
        var builder = WebApplication.CreateBuilder();
        builder.Logging.ClearProviders();
        var anchors = new X509Certificate2Collection();
        anchors.ImportFromPemFile(TestPki.CaPath);
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, port, listen => listen.UseHttps(https =>
        {
            https.ServerCertificate = X509Certificate2.CreateFromPemFile(TestPki.CertificatePath(DevCertificateAuthority.ServerName), TestPki.KeyPath(DevCertificateAuthority.ServerName));
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
        WebhookReceiver? receiver = null;
        app.MapPost("/exgw/notices", async (HttpContext context) =>
        {
            using var buffer = new MemoryStream();
            await context.Request.Body.CopyToAsync(buffer);
            var body = buffer.ToArray();
            var headers = context.Request.Headers;
            var received = new ReceivedWebhook(
                headers["webhook-id"].ToString(),
                headers["webhook-timestamp"].ToString(),
                context.Request.ContentType ?? "",
                body,
                verifier.Verify(headers["webhook-id"], headers["webhook-timestamp"], headers["webhook-signature"], body),
                context.Connection.ClientCertificate?.Subject ?? "");
            receiver!.Received.Enqueue(received);
            var (status, retryAfter, delay) = receiver.Answer(received);
            if (delay > TimeSpan.Zero)
            {
                await Task.Delay(delay, context.RequestAborted);
            }
            if (retryAfter is { } seconds)
            {
                context.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            }
            context.Response.StatusCode = status;
        });
        await app.StartAsync();
        var bound = new Uri(app.Urls.First()).Port;
        receiver = new WebhookReceiver(app, bound, secret);
        return receiver;
    }

    /// <summary>A registry like the development one, with <paramref name="organisationId"/>'s feed of
    /// <paramref name="municipalityCode"/> delivered to this receiver; returns its path.</summary>
    public string Registry(string organisationId = "gemeente-groningen", string municipalityCode = "0014", WebhookContent content = WebhookContent.Thin, int concurrency = 4, Uri? url = null)
    {
        var directory = Directory.CreateTempSubdirectory("exgw-webhook-registry-").FullName;
        File.WriteAllText(Path.Combine(directory, "hook.secret"), Secret);
        var secret = WebhookSecret.Parse(Secret);
        var organisations = DevCertificateAuthority.DefaultOrganisations.Select(o => o.Id == organisationId
            ? o with { Webhooks = [new WebhookEndpoint(FeedNames.Municipality(municipalityCode), url ?? Url, "hook.secret", secret, concurrency, content)] }
            : o);
        var path = Path.Combine(directory, "organisations.json");
        new OrganisationRegistry(organisations).Save(path);
        return path;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>One request as the receiver saw it.</summary>
internal sealed record ReceivedWebhook(string Id, string Timestamp, string ContentType, byte[] Body, bool SignatureValid, string ClientSubject)
{
    public JsonElement Event => JsonDocument.Parse(Body).RootElement;

    public ulong Sequence => ulong.Parse(Event.GetProperty("sequence").GetString()!, System.Globalization.CultureInfo.InvariantCulture);

    public string Type => Event.GetProperty("type").GetString()!;

    public string Subject => Event.GetProperty("subject").GetString()!;
}
