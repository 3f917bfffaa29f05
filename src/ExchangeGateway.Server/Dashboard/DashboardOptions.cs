namespace ExchangeGateway.Server.Dashboard;

/// <summary>The dashboard (configuration section <c>Gateway:Dashboard</c>) and the figures it shows,
/// which <c>GetOverview</c> answers to every caller alike.</summary>
public sealed class DashboardOptions
{
    /// <summary>Where the dashboard listens: https addresses with a port of their own (not the gateway's
    /// or the management listener's), separated by ';'. Empty (the default) turns it off.</summary>
    public string Urls { get; set; } = "";

    /// <summary>A notice unacknowledged for longer makes its municipality need attention.</summary>
    public TimeSpan StaleAcknowledgementAfter { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How long after people were reported as arrived unannounced their municipality still needs attention.</summary>
    public TimeSpan UnannouncedAttentionWindow { get; set; } = TimeSpan.FromDays(28);

    /// <summary>How often each instance reports its streams and acknowledgements per feed to the database.</summary>
    public TimeSpan PresenceInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>How often a lag snapshot of every municipality feed is stored.</summary>
    public TimeSpan LagSnapshotInterval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How long lag snapshots are kept (the charts reach back a year at most).</summary>
    public TimeSpan LagSnapshotRetention { get; set; } = TimeSpan.FromDays(400);

    /// <summary>How often an open page's live connection checks the database for changes.</summary>
    public TimeSpan RefreshInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How long a dashboard session lasts before the user signs in again.</summary>
    public TimeSpan SessionLifetime { get; set; } = TimeSpan.FromHours(8);
}
