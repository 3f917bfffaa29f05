using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using ExchangeGateway.Server.Rest;
using Grpc.Core;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ExchangeGateway.Server.Dashboard;

/// <summary>The dashboard, on the ports of <see cref="DashboardOptions.Urls"/>: after the client
/// certificate is checked (<see cref="RefusedCertificateMiddleware"/>: a request without one gets a 401
/// and nothing else), the caller's organisation is resolved as for every call, and only chain
/// coordination, COA and municipalities get further. A person signs in with their name
/// (<see cref="DashboardSessions"/>); then the page, its script and styles, the map, and the live
/// connection are served here, and the page reads its figures from the REST surface on the same port,
/// through the same access policy and audit as every caller. Nothing else is served on these ports (no
/// gRPC). Every answer carries a strict Content-Security-Policy (only this origin, no inline script);
/// a request that changes something must come from this origin (the session cookie is SameSite=Strict
/// as well), and an escalation resolved here has the person's name added to its note.</summary>
/// <remarks>An OpenID Connect sign-in would replace the name form: the identity provider's claims would
/// name the person and map them to an organisation in the registry, and the REST calls would then
/// carry that organisation instead of the certificate's; the pages and checks here stay as they are.</remarks>
internal sealed partial class DashboardMiddleware(
    RequestDelegate next,
    IOptions<GatewayOptions> options,
    DashboardSessions sessions,
    CallerResolver callers,
    GatewayStore store,
    MunicipalityMap map,
    TimeProvider time,
    ILogger<DashboardMiddleware> logger)
{
    private const string ContentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        + "font-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

    private readonly IReadOnlySet<int> _ports = DashboardAddresses.Ports(options.Value.Dashboard.Urls);
    private readonly DashboardOptions _options = options.Value.Dashboard;
    private readonly byte[] _mapSvg = Encoding.UTF8.GetBytes(map.Svg);

    public Task InvokeAsync(HttpContext context) =>
        _ports.Count > 0 && _ports.Contains(context.Connection.LocalPort) ? ServeAsync(context) : next(context);

    private async Task ServeAsync(HttpContext context)
    {
        var request = context.Request;
        var response = context.Response;
        var headers = response.Headers;
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers.XContentTypeOptions = "nosniff";
        headers.XFrameOptions = "DENY";
        // Not no-referrer: with it, browsers send "Origin: null" on a form's POST, which the origin check refuses.
        headers["Referrer-Policy"] = "same-origin";
        headers["Cross-Origin-Opener-Policy"] = "same-origin";
        headers["Cross-Origin-Resource-Policy"] = "same-origin";
        headers.CacheControl = "no-store";
        var path = request.Path.Value ?? "/";
        if (RestSurfaceMiddleware.IsGrpc(request))
        {
            response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }
        var reads = HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method);
        if (!reads && !SameOrigin(request))
        {
            await TextAsync(response, StatusCodes.Status403Forbidden, "Dit verzoek komt niet van het dashboard zelf en is geweigerd.");
            return;
        }
        Caller caller;
        try
        {
            caller = callers.Resolve(context);
        }
        catch (RpcException)
        {
            await TextAsync(response, StatusCodes.Status403Forbidden, "Het certificaat van deze browser hoort niet bij een organisatie die de gateway kent.");
            return;
        }
        if (caller.Organisation.Role is not (OrganisationRole.ChainCoordination or OrganisationRole.Coa or OrganisationRole.Municipality))
        {
            await TextAsync(response, StatusCodes.Status403Forbidden, "Het dashboard is er voor ketenregie, het COA en gemeenten.");
            return;
        }
        if (path.StartsWith("/assets/", StringComparison.Ordinal))
        {
            if (!reads || !await DashboardAssets.TryWriteAsync(response, path["/assets/".Length..]))
            {
                await TextAsync(response, StatusCodes.Status404NotFound, "Niet gevonden.");
            }
            return;
        }
        if (path == "/aanmelden")
        {
            await SignInAsync(context, caller, reads);
            return;
        }
        if (path == "/afmelden" && HttpMethods.IsPost(request.Method))
        {
            DashboardSessions.SignOut(context);
            LogSignedOut(logger, caller.Organisation.Id);
            response.Redirect("/aanmelden");
            return;
        }
        var person = sessions.Person(context);
        var page = IsPage(path);
        if (!page && !path.StartsWith("/v1/", StringComparison.Ordinal) && path is not ("/sessie" or "/kaart.svg" or "/gebeurtenissen"))
        {
            await TextAsync(response, StatusCodes.Status404NotFound, "Niet gevonden.");
            return;
        }
        if (person is null)
        {
            if (page)
            {
                response.Redirect("/aanmelden");
            }
            else
            {
                await TextAsync(response, StatusCodes.Status401Unauthorized, "Meld u eerst aan op /aanmelden.");
            }
            return;
        }
        switch (path)
        {
            case "/sessie":
                await response.WriteAsJsonAsync(new SessionView(caller.Organisation.Name, Role(caller.Organisation.Role), person,
                    caller.Organisation.MunicipalityCodes, caller.Organisation.Role == OrganisationRole.ChainCoordination,
                    MunicipalityMap.Credit, [.. map.Codes.Order(StringComparer.Ordinal)]), context.RequestAborted);
                return;
            case "/kaart.svg":
                response.ContentType = "image/svg+xml";
                await response.Body.WriteAsync(_mapSvg, context.RequestAborted);
                return;
            case "/gebeurtenissen":
                await StreamChangesAsync(context);
                return;
        }
        if (page)
        {
            response.ContentType = "text/html; charset=utf-8";
            await response.Body.WriteAsync(DashboardAssets.Shell, context.RequestAborted);
            return;
        }
        if (HttpMethods.IsPost(request.Method) && path.StartsWith("/v1/escalations/", StringComparison.Ordinal) && path.EndsWith("/resolution", StringComparison.Ordinal))
        {
            await SignNoteAsync(request, person);
        }
        await next(context);
    }

    /// <summary>The paths the page answers itself (in its script): the national view, escalations, a municipality.</summary>
    private static bool IsPage(string path) =>
        path is "/" or "/escalaties"
        || (path.StartsWith("/gemeenten/", StringComparison.Ordinal) && path.Length == "/gemeenten/".Length + 4 && path[^4..].All(char.IsAsciiDigit));

    private static bool SameOrigin(HttpRequest request) =>
        string.Equals(request.Headers.Origin.ToString(), $"{request.Scheme}://{request.Host}", StringComparison.OrdinalIgnoreCase);

    private static string Role(OrganisationRole role) => role switch
    {
        OrganisationRole.ChainCoordination => "ketenregie",
        OrganisationRole.Coa => "coa",
        _ => "gemeente",
    };

    private async Task SignInAsync(HttpContext context, Caller caller, bool reads)
    {
        string? problem = null;
        if (!reads)
        {
            var form = context.Request.HasFormContentType ? await context.Request.ReadFormAsync(context.RequestAborted) : null;
            var person = form?["naam"].ToString();
            problem = DashboardSessions.PersonProblem(person);
            if (problem is null)
            {
                sessions.SignIn(context, person!);
                LogSignedIn(logger, caller.Organisation.Id);
                context.Response.Redirect("/");
                return;
            }
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
        }
        else if (sessions.Person(context) is not null)
        {
            context.Response.Redirect("/");
            return;
        }
        var html = DashboardAssets.SignInTemplate
            .Replace("{{organisation}}", WebUtility.HtmlEncode(caller.Organisation.Name), StringComparison.Ordinal)
            .Replace("{{problem}}", problem is null ? "" : $"<div class=\"utrecht-alert utrecht-alert--error\" role=\"alert\"><p class=\"utrecht-paragraph\">{WebUtility.HtmlEncode(problem)}</p></div>", StringComparison.Ordinal)
            .Replace("{{maxlength}}", DashboardSessions.MaxPersonLength.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
        context.Response.ContentType = "text/html; charset=utf-8";
        await context.Response.WriteAsync(html, context.RequestAborted);
    }

    /// <summary>Adds who resolved the escalation to its note: the organisation is recorded from the
    /// certificate, the person only from the session. A body that is not a note is passed on as it came,
    /// for the API to refuse.</summary>
    private static async Task SignNoteAsync(HttpRequest request, string person)
    {
        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer, request.HttpContext.RequestAborted);
        var bytes = buffer.ToArray();
        try
        {
            if (bytes.Length <= GatewayHosting.MaxRequestBytes && JsonNode.Parse(bytes) is JsonObject body
                && body["note"] is JsonValue value && value.TryGetValue<string>(out var note) && note.Trim().Length > 0)
            {
                body["note"] = $"{note.Trim()} (opgelost door {person}, via het dashboard)";
                bytes = Encoding.UTF8.GetBytes(body.ToJsonString());
            }
        }
        catch (System.Text.Json.JsonException)
        {
            // Passed on unchanged: the REST surface answers it INVALID_ARGUMENT.
        }
        request.Body = new MemoryStream(bytes);
        request.ContentLength = bytes.Length;
    }

    /// <summary>Server-sent events: <c>wijziging</c> when <see cref="DashboardChanges"/> moves, a comment
    /// line otherwise (keeps proxies from closing the connection); ends with the session.</summary>
    private async Task StreamChangesAsync(HttpContext context)
    {
        var response = context.Response;
        var aborted = context.RequestAborted;
        response.ContentType = "text/event-stream";
        await response.WriteAsync("retry: 5000\n\n", aborted);
        await response.Body.FlushAsync(aborted);
        string? last = null;
        using var timer = new PeriodicTimer(_options.RefreshInterval, time);
        try
        {
            do
            {
                if (sessions.Person(context) is null)
                {
                    return;
                }
                string token;
                try
                {
                    token = await store.ReadAsync(DashboardChanges.TokenAsync, aborted);
                }
                catch (RpcException exception) when (exception.StatusCode == StatusCode.Unavailable)
                {
                    LogChangesUnavailable(logger, exception);
                    continue;
                }
                await response.WriteAsync(last is not null && token != last ? "event: wijziging\ndata: {}\n\n" : ":\n\n", aborted);
                await response.Body.FlushAsync(aborted);
                last = token;
            }
            while (await timer.WaitForNextTickAsync(aborted));
        }
        catch (OperationCanceledException) when (aborted.IsCancellationRequested)
        {
            // The page was closed.
        }
    }

    private static Task TextAsync(HttpResponse response, int status, string text)
    {
        response.StatusCode = status;
        response.ContentType = "text/plain; charset=utf-8";
        return response.WriteAsync(text, response.HttpContext.RequestAborted);
    }

    private sealed record SessionView(string Organisation, string Role, string Person, IReadOnlyList<string> MunicipalityCodes,
        bool MayResolve, string MapCredit, IReadOnlyList<string> MapCodes);

    [LoggerMessage(EventId = 3001, Level = LogLevel.Information, Message = "Dashboard session started for organisation {Organisation}")]
    private static partial void LogSignedIn(ILogger logger, string organisation);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Information, Message = "Dashboard session ended for organisation {Organisation}")]
    private static partial void LogSignedOut(ILogger logger, string organisation);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Warning, Message = "The dashboard's live connection could not read the database; it tries again")]
    private static partial void LogChangesUnavailable(ILogger logger, Exception exception);
}
