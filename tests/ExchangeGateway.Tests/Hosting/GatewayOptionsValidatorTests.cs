using ExchangeGateway.Server.Hosting;

namespace ExchangeGateway.Tests.Hosting;

/// <summary>One case per rule of <see cref="GatewayOptionsValidator"/>: each bad value is reported
/// naming its setting; the defaults pass; every problem is reported at once. (ServeCommandTests runs a
/// sample of them through the real <c>exgw serve</c>: exit 2, one line.)</summary>
public sealed class GatewayOptionsValidatorTests
{
    private const string Missing = "/nonexistent/exgw-validator-test";

    public static TheoryData<string, Action<GatewayOptions>, string> Rules => new()
    {
        { "MaxWriteBatch", o => o.MaxWriteBatch = 0, "Gateway:MaxWriteBatch must be at least 1 (is 0)" },
        { "MaxQueuedWrites", o => o.MaxQueuedWrites = 0, "Gateway:MaxQueuedWrites must be at least 1" },
        { "MaxTravellersPerArrival", o => o.MaxTravellersPerArrival = 0, "Gateway:MaxTravellersPerArrival must be at least 1" },
        { "DefaultStreamWindow", o => o.DefaultStreamWindow = 0, "Gateway:DefaultStreamWindow must be at least 1" },
        { "MaxStreamWindow", o => o.MaxStreamWindow = 0, "Gateway:MaxStreamWindow must be at least 1" },
        { "window relation", o => o.DefaultStreamWindow = 2000, "Gateway:DefaultStreamWindow (2000) must not exceed Gateway:MaxStreamWindow (1000)" },
        { "RequestIdRetention", o => o.RequestIdRetention = TimeSpan.Zero, "Gateway:RequestIdRetention must be a positive duration" },
        { "RedeliveryTimeout", o => o.RedeliveryTimeout = TimeSpan.FromSeconds(-1), "Gateway:RedeliveryTimeout must be a positive duration" },
        { "MaxFetchWait", o => o.MaxFetchWait = TimeSpan.Zero, "Gateway:MaxFetchWait must be a positive duration" },
        { "AcknowledgementDeadline", o => o.AcknowledgementDeadline = TimeSpan.FromHours(-1), "Gateway:AcknowledgementDeadline must be a positive duration" },
        { "DeadlineSweepInterval", o => o.DeadlineSweepInterval = TimeSpan.Zero, "Gateway:DeadlineSweepInterval must be a positive duration" },
        { "FileReloadInterval", o => o.FileReloadInterval = TimeSpan.Zero, "Gateway:FileReloadInterval must be a positive duration" },
        { "MunicipalityTableCheckInterval", o => o.MunicipalityTableCheckInterval = TimeSpan.Zero, "Gateway:MunicipalityTableCheckInterval must be a positive duration" },
        { "HouseholdWithoutConsent", o => o.Rules.HouseholdWithoutConsent = 0, "Gateway:Rules:HouseholdWithoutConsent must be at least 1" },
        { "household relation", o => o.Rules.HouseholdWithConsent = 1, "Gateway:Rules:HouseholdWithConsent (1) must be at least Gateway:Rules:HouseholdWithoutConsent (2)" },
        { "MinimumLeadTimeDays", o => o.Rules.MinimumLeadTimeDays = -1, "Gateway:Rules:MinimumLeadTimeDays must be at least 0" },
        { "ConsentDecisionDays", o => o.Rules.ConsentDecisionDays = 0, "Gateway:Rules:ConsentDecisionDays must be at least 1" },
        { "RegistrationDays", o => o.Rules.RegistrationDays = 0, "Gateway:Rules:RegistrationDays must be at least 1" },
        { "CheckInDays", o => o.Rules.CheckInDays = 0, "Gateway:Rules:CheckInDays must be at least 1" },
        { "ConnectionString", o => o.Storage.ConnectionString = " ", "Gateway:Storage:ConnectionString must not be empty" },
        { "FeedPollInterval", o => o.Storage.FeedPollInterval = TimeSpan.FromSeconds(-1), "Gateway:Storage:FeedPollInterval must not be negative" },
        { "SqliteBusyTimeoutMilliseconds", o => o.Storage.SqliteBusyTimeoutMilliseconds = -1, "Gateway:Storage:SqliteBusyTimeoutMilliseconds must be at least 0" },
        { "SqliteLogRestartPages", o => o.Storage.SqliteLogRestartPages = 0, "Gateway:Storage:SqliteLogRestartPages must be at least 1" },
        { "PersonalDataRetention", o => o.Retention.PersonalDataRetention = TimeSpan.Zero, "Gateway:Retention:PersonalDataRetention must be a positive duration" },
        { "SweepInterval", o => o.Retention.SweepInterval = TimeSpan.Zero, "Gateway:Retention:SweepInterval must be a positive duration" },
        { "BatchSize", o => o.Retention.BatchSize = 0, "Gateway:Retention:BatchSize must be at least 1" },
        { "RequestsPerSecond", o => o.Limits.RequestsPerSecond = -1, "Gateway:Limits:RequestsPerSecond must be at least 0" },
        { "RequestBurst", o => o.Limits.RequestBurst = 0, "Gateway:Limits:RequestBurst must be at least 1" },
        { "MaxFeedStreamsPerFeed", o => o.Limits.MaxFeedStreamsPerFeed = -1, "Gateway:Limits:MaxFeedStreamsPerFeed must be at least 0" },
        { "MaxUnaryCallDuration", o => o.Limits.MaxUnaryCallDuration = TimeSpan.FromSeconds(-1), "Gateway:Limits:MaxUnaryCallDuration must not be negative" },
        { "MaxConnections", o => o.Limits.MaxConnections = -1, "Gateway:Limits:MaxConnections must be at least 0" },
        { "MaxStreamsPerConnection", o => o.Limits.MaxStreamsPerConnection = 0, "Gateway:Limits:MaxStreamsPerConnection must be at least 1" },
        { "MaxRequestHeadersTotalBytes", o => o.Limits.MaxRequestHeadersTotalBytes = 100, "Gateway:Limits:MaxRequestHeadersTotalBytes must be at least 1024" },
        { "MaxRequestHeaderCount", o => o.Limits.MaxRequestHeaderCount = 1, "Gateway:Limits:MaxRequestHeaderCount must be at least 8" },
        { "MaxRequestHeaderFieldBytes", o => o.Limits.MaxRequestHeaderFieldBytes = 100, "Gateway:Limits:MaxRequestHeaderFieldBytes must be at least 1024" },
        { "Management:Urls", o => o.Management.Urls = "https://127.0.0.1:5444", "Gateway:Management:Urls: 'https://127.0.0.1:5444' is not an http:// address" },
        { "FeedGaugeInterval", o => o.Management.FeedGaugeInterval = TimeSpan.Zero, "Gateway:Management:FeedGaugeInterval must be a positive duration" },
        { "MunicipalityTablePath", o => o.MunicipalityTablePath = Missing, "Gateway:MunicipalityTablePath: no readable file at " + Missing },
        { "OrganisationRegistryPath", o => o.OrganisationRegistryPath = Missing, "Gateway:OrganisationRegistryPath: no readable file at " + Missing },
        { "Tls:CertificatePath", o => o.Tls.CertificatePath = Missing, "Gateway:Tls:CertificatePath: no readable file at " + Missing },
        { "Tls:KeyPath", o => o.Tls.KeyPath = Missing, "Gateway:Tls:KeyPath: no readable file at " + Missing },
        { "Tls:TrustAnchorsPath", o => o.Tls.TrustAnchorsPath = Missing, "Gateway:Tls:TrustAnchorsPath: no readable file at " + Missing },
        { "Tls:CrlPaths", o => o.Tls.CrlPaths.Add(Missing), "Gateway:Tls:CrlPaths:0: no readable file at " + Missing },
        { "Audit:KeyPath", o => o.Audit.KeyPath = Missing, "Gateway:Audit:KeyPath: no readable file at " + Missing },
    };

    [Fact]
    public void Validate_Defaults_Succeeds()
    {
        var result = new GatewayOptionsValidator().Validate(null, new GatewayOptions());

        Assert.True(result.Succeeded, result.FailureMessage);
    }

    [Theory]
    [MemberData(nameof(Rules))]
    public void Validate_BadValue_NamesTheSetting(string rule, Action<GatewayOptions> breakIt, string expected)
    {
        var options = new GatewayOptions();
        breakIt(options);

        var result = new GatewayOptionsValidator().Validate(null, options);

        Assert.True(result.Failed, $"{rule}: accepted");
        Assert.Contains(result.Failures!, f => f.StartsWith(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_SeveralBadValues_ReportsEveryOneAtOnce()
    {
        var options = new GatewayOptions { MaxWriteBatch = 0, RedeliveryTimeout = TimeSpan.Zero };
        options.Retention.BatchSize = 0;

        var result = new GatewayOptionsValidator().Validate(null, options);

        Assert.Equal(3, result.Failures!.Count());
    }
}
