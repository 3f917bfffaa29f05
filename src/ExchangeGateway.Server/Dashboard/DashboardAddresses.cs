namespace ExchangeGateway.Server.Dashboard;

/// <summary>The dashboard shares the gateway's Kestrel server (its TLS, client-certificate checks and
/// REST surface) on ports of its own; a request belongs to the dashboard by the port it came in on.</summary>
internal static class DashboardAddresses
{
    public static IEnumerable<string> Split(string urls) =>
        urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>The port of an https address that names one (not 0); null otherwise.</summary>
    public static int? Port(string url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme == Uri.UriSchemeHttps
            && !uri.IsDefaultPort && uri.Port > 0 && uri.AbsolutePath == "/"
            ? uri.Port
            : null;

    public static IReadOnlySet<int> Ports(string urls) =>
        Split(urls).Select(Port).OfType<int>().ToHashSet();
}
