using System.Collections.Frozen;
using System.Reflection;
using Microsoft.AspNetCore.Http;

namespace ExchangeGateway.Server.Dashboard;

/// <summary>The dashboard's files, embedded in the gateway (see the project file): the browser loads
/// nothing from another host, and what it loads is what was built and tested.</summary>
internal static class DashboardAssets
{
    private const string Prefix = "dashboard/";

    /// <summary>The files served under <c>/assets/</c>, by name, with their content types.</summary>
    private static readonly FrozenDictionary<string, (byte[] Content, string ContentType)> Served = new Dictionary<string, (byte[], string)>
    {
        ["app.js"] = (Read("app.js"), "text/javascript; charset=utf-8"),
        ["app.css"] = (Read("app.css"), "text/css; charset=utf-8"),
        ["vendor.css"] = (Read("vendor.css"), "text/css; charset=utf-8"),
        ["favicon.svg"] = (Read("favicon.svg"), "image/svg+xml"),
    }.ToFrozenDictionary(StringComparer.Ordinal);

    /// <summary>The page every dashboard address answers with; the script fills it.</summary>
    public static byte[] Shell { get; } = Read("index.html");

    /// <summary>The sign-in page, with <c>{{organisation}}</c> and <c>{{problem}}</c> to fill in.</summary>
    public static string SignInTemplate { get; } = System.Text.Encoding.UTF8.GetString(Read("aanmelden.html"));

    public static byte[] Read(string name)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream(Prefix + name)
            ?? throw new InvalidOperationException($"The dashboard file {name} is not embedded in the gateway.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    /// <summary>Writes the file named <paramref name="name"/>; false when there is none.</summary>
    public static async Task<bool> TryWriteAsync(HttpResponse response, string name)
    {
        if (!Served.TryGetValue(name, out var asset))
        {
            return false;
        }
        response.ContentType = asset.ContentType;
        response.ContentLength = asset.Content.Length;
        await response.Body.WriteAsync(asset.Content, response.HttpContext.RequestAborted);
        return true;
    }
}
