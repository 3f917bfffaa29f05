using Microsoft.Extensions.Options;

namespace ExchangeGateway.Server.Hosting;

/// <summary>Every setting checked before the gateway starts: ranges, relations between settings, and
/// files that must be readable. All problems are reported at once, each naming its setting, so an
/// operator fixes them in one go (<c>exgw serve</c> prints them and exits 2). A bad value found only
/// later would be worse: <c>MaxWriteBatch=0</c> used to spin a core in the writer's loop.</summary>
internal sealed class GatewayOptionsValidator : IValidateOptions<GatewayOptions>
{
    public ValidateOptionsResult Validate(string? name, GatewayOptions options)
    {
        var problems = new List<string>();
        void AtLeast(string setting, double value, double minimum)
        {
            if (value < minimum)
            {
                problems.Add($"Gateway:{setting} must be at least {minimum} (is {value})");
            }
        }
        void Positive(string setting, TimeSpan value)
        {
            if (value <= TimeSpan.Zero)
            {
                problems.Add($"Gateway:{setting} must be a positive duration (is {value})");
            }
        }
        void Between(string setting, TimeSpan value, TimeSpan most)
        {
            if (value <= TimeSpan.Zero || value > most)
            {
                problems.Add($"Gateway:{setting} must be a positive duration of at most {most} (is {value})");
            }
        }
        void NotNegative(string setting, TimeSpan value)
        {
            if (value < TimeSpan.Zero)
            {
                problems.Add($"Gateway:{setting} must not be negative (is {value}; 0 turns it off)");
            }
        }
        void Readable(string setting, string? path)
        {
            if (!string.IsNullOrEmpty(path) && !File.Exists(path))
            {
                problems.Add($"Gateway:{setting}: no readable file at {Path.GetFullPath(path)}");
            }
        }

        AtLeast(nameof(options.MaxWriteBatch), options.MaxWriteBatch, 1);
        AtLeast(nameof(options.MaxQueuedWrites), options.MaxQueuedWrites, 1);
        AtLeast(nameof(options.MaxTravellersPerArrival), options.MaxTravellersPerArrival, 1);
        AtLeast(nameof(options.DefaultStreamWindow), options.DefaultStreamWindow, 1);
        AtLeast(nameof(options.MaxStreamWindow), options.MaxStreamWindow, 1);
        if (options.DefaultStreamWindow > options.MaxStreamWindow)
        {
            problems.Add($"Gateway:DefaultStreamWindow ({options.DefaultStreamWindow}) must not exceed Gateway:MaxStreamWindow ({options.MaxStreamWindow})");
        }
        Positive(nameof(options.RequestIdRetention), options.RequestIdRetention);
        Positive(nameof(options.RedeliveryTimeout), options.RedeliveryTimeout);
        Positive(nameof(options.MaxFetchWait), options.MaxFetchWait);
        Positive(nameof(options.AcknowledgementDeadline), options.AcknowledgementDeadline);
        Positive(nameof(options.DeadlineSweepInterval), options.DeadlineSweepInterval);
        Positive(nameof(options.FileReloadInterval), options.FileReloadInterval);
        Positive(nameof(options.MunicipalityTableCheckInterval), options.MunicipalityTableCheckInterval);

        var rules = options.Rules;
        AtLeast("Rules:HouseholdWithoutConsent", rules.HouseholdWithoutConsent, 1);
        if (rules.HouseholdWithConsent < rules.HouseholdWithoutConsent)
        {
            problems.Add($"Gateway:Rules:HouseholdWithConsent ({rules.HouseholdWithConsent}) must be at least Gateway:Rules:HouseholdWithoutConsent ({rules.HouseholdWithoutConsent})");
        }
        AtLeast("Rules:MinimumLeadTimeDays", rules.MinimumLeadTimeDays, 0);
        AtLeast("Rules:ConsentDecisionDays", rules.ConsentDecisionDays, 1);
        AtLeast("Rules:RegistrationDays", rules.RegistrationDays, 1);
        AtLeast("Rules:CheckInDays", rules.CheckInDays, 1);

        var storage = options.Storage;
        if (string.IsNullOrWhiteSpace(storage.ConnectionString))
        {
            problems.Add("Gateway:Storage:ConnectionString must not be empty");
        }
        NotNegative("Storage:FeedPollInterval", storage.FeedPollInterval);
        AtLeast("Storage:SqliteBusyTimeoutMilliseconds", storage.SqliteBusyTimeoutMilliseconds, 0);
        AtLeast("Storage:SqliteLogRestartPages", storage.SqliteLogRestartPages, 1);

        var retention = options.Retention;
        Positive("Retention:PersonalDataRetention", retention.PersonalDataRetention);
        Positive("Retention:SweepInterval", retention.SweepInterval);
        AtLeast("Retention:BatchSize", retention.BatchSize, 1);

        var limits = options.Limits;
        AtLeast("Limits:RequestsPerSecond", limits.RequestsPerSecond, 0);
        if (limits.RequestsPerSecond > 0)
        {
            AtLeast("Limits:RequestBurst", limits.RequestBurst, 1);
        }
        AtLeast("Limits:MaxFeedStreamsPerFeed", limits.MaxFeedStreamsPerFeed, 0);
        NotNegative("Limits:MaxUnaryCallDuration", limits.MaxUnaryCallDuration);
        AtLeast("Limits:MaxConnections", limits.MaxConnections, 0);
        AtLeast("Limits:MaxStreamsPerConnection", limits.MaxStreamsPerConnection, 1);
        AtLeast("Limits:MaxRequestHeadersTotalBytes", limits.MaxRequestHeadersTotalBytes, 1024);
        AtLeast("Limits:MaxRequestHeaderCount", limits.MaxRequestHeaderCount, 8);
        AtLeast("Limits:MaxRequestHeaderFieldBytes", limits.MaxRequestHeaderFieldBytes, 1024);

        foreach (var url in options.Management.Urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttp)
            {
                problems.Add($"Gateway:Management:Urls: '{url}' is not an http:// address (the management listener has no TLS; empty turns it off)");
            }
        }

        Positive("Management:FeedGaugeInterval", options.Management.FeedGaugeInterval);

        var dashboard = options.Dashboard;
        foreach (var url in Dashboard.DashboardAddresses.Split(dashboard.Urls))
        {
            if (Dashboard.DashboardAddresses.Port(url) is null)
            {
                problems.Add($"Gateway:Dashboard:Urls: '{url}' is not an https:// address with a port of its own (empty turns the dashboard off)");
            }
        }
        Positive("Dashboard:StaleAcknowledgementAfter", dashboard.StaleAcknowledgementAfter);
        Positive("Dashboard:UnannouncedAttentionWindow", dashboard.UnannouncedAttentionWindow);
        // A round waits one interval at a time, and a timer's wait ends at about 49 days.
        Between("Dashboard:PresenceInterval", dashboard.PresenceInterval, TimeSpan.FromDays(30));
        Between("Dashboard:LagSnapshotInterval", dashboard.LagSnapshotInterval, TimeSpan.FromDays(30));
        Positive("Dashboard:LagSnapshotRetention", dashboard.LagSnapshotRetention);
        Positive("Dashboard:RefreshInterval", dashboard.RefreshInterval);
        Positive("Dashboard:SessionLifetime", dashboard.SessionLifetime);

        Readable(nameof(options.MunicipalityTablePath), options.MunicipalityTablePath);
        Readable(nameof(options.OrganisationRegistryPath), options.OrganisationRegistryPath);
        Readable("Tls:CertificatePath", options.Tls.CertificatePath);
        Readable("Tls:KeyPath", options.Tls.KeyPath);
        Readable("Tls:TrustAnchorsPath", options.Tls.TrustAnchorsPath);
        for (var i = 0; i < options.Tls.CrlPaths.Count; i++)
        {
            Readable($"Tls:CrlPaths:{i}", options.Tls.CrlPaths[i]);
        }
        Readable("Audit:KeyPath", options.Audit.KeyPath);

        var webhooks = options.Webhooks;
        Positive("Webhooks:RequestTimeout", webhooks.RequestTimeout);
        Positive("Webhooks:FirstRetryDelay", webhooks.FirstRetryDelay);
        if (webhooks.MaxRetryDelay < webhooks.FirstRetryDelay)
        {
            problems.Add($"Gateway:Webhooks:MaxRetryDelay ({webhooks.MaxRetryDelay}) must be at least Gateway:Webhooks:FirstRetryDelay ({webhooks.FirstRetryDelay})");
        }
        AtLeast("Webhooks:DefaultConcurrency", webhooks.DefaultConcurrency, 1);
        AtLeast("Webhooks:MaxConcurrency", webhooks.MaxConcurrency, webhooks.DefaultConcurrency);
        Readable("Webhooks:ClientCertificatePath", webhooks.ClientCertificatePath);
        Readable("Webhooks:ClientKeyPath", webhooks.ClientKeyPath);
        Readable("Webhooks:TrustAnchorsPath", webhooks.TrustAnchorsPath);
        for (var i = 0; i < webhooks.AllowedNetworks.Count; i++)
        {
            if (!System.Net.IPNetwork.TryParse(webhooks.AllowedNetworks[i], out _))
            {
                problems.Add($"Gateway:Webhooks:AllowedNetworks:{i}: '{webhooks.AllowedNetworks[i]}' is not a network in CIDR notation (e.g. 10.20.0.0/16)");
            }
        }
        if (webhooks.PublicBaseUrl is { Length: > 0 } baseUrl
            && (!Uri.TryCreate(baseUrl, UriKind.Absolute, out var publicBase) || publicBase.Scheme != Uri.UriSchemeHttps))
        {
            problems.Add($"Gateway:Webhooks:PublicBaseUrl: '{baseUrl}' is not an https:// address");
        }

        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}
