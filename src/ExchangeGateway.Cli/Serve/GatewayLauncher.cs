using ExchangeGateway.Server.Audit;
using ExchangeGateway.Server.Dashboard;
using ExchangeGateway.Server.Hosting;
using ExchangeGateway.Server.Identity;
using ExchangeGateway.Server.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace ExchangeGateway.Cli.Serve;

/// <summary>What <c>exgw serve</c> was asked for on the command line.</summary>
internal sealed record ServeSettings(bool Dev, string? CertificatesDirectory, string? Database, string Urls, string[] ConfigurationArguments);

/// <summary>Builds the gateway on Kestrel with mutual TLS, for <c>exgw serve</c> and <c>exgw demo</c>.</summary>
internal static class GatewayLauncher
{
    public const string DefaultUrls = "https://127.0.0.1:5443";
    public const string DefaultDevCertificates = "certs/dev";
    public const string DefaultDevDatabase = ".exgw/dev.db";

    /// <summary>Without --dev, these must be configured explicitly: no implicit trust, no guessed registry.</summary>
    private static readonly string[] RequiredSettings = ["Tls:CertificatePath", "Tls:KeyPath", "Tls:TrustAnchorsPath", "OrganisationRegistryPath", "Audit:KeyPath"];

    /// <summary>The development audit key, beside the development certificates (never in the database).</summary>
    public const string DevAuditKeyFile = "audit.key";

    /// <summary>Builds the application, or returns why it may not start.</summary>
    public static (WebApplication? App, string? Refusal) Build(ServeSettings settings, TextWriter output)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = settings.ConfigurationArguments,
            ContentRootPath = AppContext.BaseDirectory,
            // --dev is the Development environment (as the host logs it), unless one is named.
            EnvironmentName = settings.Dev && Environment.GetEnvironmentVariable("ASPNETCORE_ENVIRONMENT") is null
                && Environment.GetEnvironmentVariable("DOTNET_ENVIRONMENT") is null ? Environments.Development : null,
        });
        if (JsonLogs(builder.Configuration))
        {
            // Standard output carries nothing but JSON lines a log collector can parse.
            output = Console.Error;
            builder.Configuration.AddInMemoryCollection(JsonLogDefaults(builder.Configuration));
        }
        var dev = settings.Dev || builder.Environment.IsDevelopment();
        var configured = builder.Configuration.GetSection(GatewayOptions.Section);
        var overrides = new Dictionary<string, string?>();
        if (dev)
        {
            var certificates = Path.GetFullPath(settings.CertificatesDirectory ?? DefaultDevCertificates);
            if (!DevCertificateAuthority.Exists(certificates))
            {
                try
                {
                    DevCertificateAuthority.Generate(certificates);
                }
                catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
                {
                    return (null, $"Refusing to start: cannot create the development certificates in {certificates} (--certs): {exception.Message}");
                }
                output.WriteLine($"Generated development certificates in {certificates}");
            }
            overrides["Gateway:Tls:CertificatePath"] = configured["Tls:CertificatePath"] ?? DevCertificateAuthority.CertificatePath(certificates, DevCertificateAuthority.ServerName);
            overrides["Gateway:Tls:KeyPath"] = configured["Tls:KeyPath"] ?? DevCertificateAuthority.KeyPath(certificates, DevCertificateAuthority.ServerName);
            overrides["Gateway:Tls:TrustAnchorsPath"] = configured["Tls:TrustAnchorsPath"] ?? Path.Combine(certificates, DevCertificateAuthority.CaFile);
            overrides["Gateway:OrganisationRegistryPath"] = configured["OrganisationRegistryPath"] ?? Path.Combine(certificates, DevCertificateAuthority.RegistryFile);
            var auditKey = configured["Audit:KeyPath"] ?? Path.Combine(certificates, DevAuditKeyFile);
            AuditKey.CreateFileIfMissing(auditKey);
            overrides["Gateway:Audit:KeyPath"] = auditKey;
            // The development CA's CRL, so `exgw certs revoke` can be rehearsed against a running gateway,
            // and the gateway's client certificate for webhooks, with the CA as the receivers' anchor.
            DevCertificateAuthority.Complete(certificates);
            overrides["Gateway:Webhooks:ClientCertificatePath"] = configured["Webhooks:ClientCertificatePath"] ?? DevCertificateAuthority.CertificatePath(certificates, DevCertificateAuthority.GatewayClientName);
            overrides["Gateway:Webhooks:ClientKeyPath"] = configured["Webhooks:ClientKeyPath"] ?? DevCertificateAuthority.KeyPath(certificates, DevCertificateAuthority.GatewayClientName);
            overrides["Gateway:Webhooks:TrustAnchorsPath"] = configured["Webhooks:TrustAnchorsPath"] ?? Path.Combine(certificates, DevCertificateAuthority.CaFile);
            var crl = Path.Combine(certificates, DevCertificateAuthority.CrlFile);
            if (!configured.GetSection("Tls:CrlPaths").GetChildren().Any() && File.Exists(crl))
            {
                overrides["Gateway:Tls:CrlPaths:0"] = crl;
            }
            output.WriteLine($"Development mode: certificates and organisation registry from {certificates}");
        }
        if (SqliteDatabaseOverride(dev, settings.Database, configured) is { } database)
        {
            overrides["Gateway:Storage:Provider"] = "Sqlite";
            overrides["Gateway:Storage:ConnectionString"] = $"Data Source={database}";
            output.WriteLine($"SQLite database: {database}");
        }
        builder.Configuration.AddInMemoryCollection(overrides);

        var missing = RequiredSettings
            .Where(key => string.IsNullOrEmpty(builder.Configuration[$"{GatewayOptions.Section}:{key}"]))
            .ToList();
        if (missing.Count > 0)
        {
            return (null, "Refusing to start without explicitly configured " + string.Join(", ", missing.Select(k => $"{GatewayOptions.Section}:{k}"))
                + ". Configure them (appsettings.json, environment variables such as Gateway__Tls__CertificatePath, or --Gateway:Tls:CertificatePath=...), or use --dev for development certificates.");
        }

        var (options, invalid) = ValidSettings(builder.Configuration);
        if (invalid is not null)
        {
            return (null, invalid);
        }
        _ = new GatewayDbContextFactory(options!.Storage).WarmUpModelAsync();
        var dashboardPorts = DashboardAddresses.Ports(options.Dashboard.Urls);
        if (DashboardAddresses.Split(settings.Urls).Select(url => Uri.TryCreate(url, UriKind.Absolute, out var uri) ? uri.Port : 0).FirstOrDefault(dashboardPorts.Contains) is > 0 and var shared)
        {
            return (null, $"Refusing to start: port {shared} is in both the gateway's addresses (--urls) and Gateway:Dashboard:Urls; the dashboard needs a port of its own.");
        }
        builder.AddExchangeGateway().UseMutualTls().AddManagementListener();
        // One Kestrel server: the dashboard shares the gateway's TLS and client-certificate checks and is
        // told apart by its port (see DashboardMiddleware).
        builder.WebHost.UseUrls(dashboardPorts.Count > 0 ? settings.Urls + ";" + options.Dashboard.Urls : settings.Urls);
        var app = builder.Build();
        app.MapExchangeGateway();
        return (app, null);
    }

    /// <summary>Whether the console logs are JSON (<c>Logging:Console:FormatterName=json</c>).</summary>
    public static bool JsonLogs(IConfiguration configuration) =>
        string.Equals(configuration["Logging:Console:FormatterName"], "json", StringComparison.OrdinalIgnoreCase);

    /// <summary>Where <c>exgw serve</c> writes its own messages (the addresses it listens on): standard
    /// error when the logs are JSON, so standard output holds log lines only; else standard output.</summary>
    public static TextWriter Messages(IConfiguration configuration) => JsonLogs(configuration) ? Console.Error : Console.Out;

    /// <summary>JSON logs a collector can correlate: each line with its UTC time, and the scopes that
    /// carry the W3C trace and span ids of the call it was written in; unless configured otherwise.</summary>
    private static Dictionary<string, string?> JsonLogDefaults(ConfigurationManager configuration)
    {
        var defaults = new Dictionary<string, string?>();
        void Default(string key, string value)
        {
            if (configuration[key] is null)
            {
                defaults[key] = value;
            }
        }
        Default("Logging:Console:FormatterOptions:TimestampFormat", "yyyy-MM-ddTHH:mm:ss.fffZ");
        Default("Logging:Console:FormatterOptions:UseUtcTimestamp", "true");
        Default("Logging:Console:FormatterOptions:IncludeScopes", "true");
        return defaults;
    }

    /// <summary>The one line that says which settings are wrong, or null. The options validator lists
    /// every problem at once; a value not even of the setting's type is reported by the binder, which
    /// names the setting.</summary>
    /// <remarks>Checked on the configuration before the host is built: building it already creates
    /// Kestrel, which reads the settings, and would fail with a stack trace.</remarks>
    private static (GatewayOptions? Options, string? Refusal) ValidSettings(ConfigurationManager configuration)
    {
        try
        {
            var options = new GatewayOptions();
            configuration.GetSection(GatewayOptions.Section).Bind(options);
            var result = new GatewayOptionsValidator().Validate(null, options);
            return result.Failed ? (null, "Refusing to start, invalid settings: " + string.Join("; ", result.Failures ?? []) + ".") : (options, null);
        }
        catch (InvalidOperationException exception) when (exception.Message.StartsWith("Failed to convert configuration value", StringComparison.Ordinal))
        {
            return (null, "Refusing to start, invalid setting: " + exception.Message);
        }
    }

    /// <summary>The SQLite file that replaces the configured storage: <c>--db</c>, or in development the
    /// local file unless a connection string is configured; null when the configured storage stands.
    /// <c>exgw backup</c> asks the same question, so it backs up the database <c>serve</c> uses.</summary>
    public static string? SqliteDatabaseOverride(bool dev, string? database, IConfiguration configured) =>
        database is not null || (dev && configured["Storage:ConnectionString"] is null or "Data Source=exchange-gateway.db")
            ? Path.GetFullPath(database ?? DefaultDevDatabase)
            : null;

    /// <summary>The gateway's addresses Kestrel actually listens on (port 0 becomes a real port).</summary>
    public static IReadOnlyList<string> Addresses(WebApplication app) => [.. Listening(app).Where(a => !IsDashboard(app, a))];

    /// <summary>The dashboard's addresses (empty when it is off).</summary>
    public static IReadOnlyList<string> DashboardUrls(WebApplication app) => [.. Listening(app).Where(a => IsDashboard(app, a))];

    private static IEnumerable<string> Listening(WebApplication app) =>
        app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [];

    private static bool IsDashboard(WebApplication app, string address) =>
        Uri.TryCreate(address, UriKind.Absolute, out var uri)
        && DashboardAddresses.Ports(app.Services.GetRequiredService<IOptions<GatewayOptions>>().Value.Dashboard.Urls).Contains(uri.Port);
}
