namespace ExchangeGateway.Server.Retention;

/// <summary>How long personal data of closed arrivals is kept (configuration section
/// <c>Gateway:Retention</c>). Defaults and their reasons are in the README.</summary>
public sealed class RetentionOptions
{
    /// <summary>How long after an arrival's last activity (it is completed, cancelled or refused by then)
    /// its personal data is kept. The gateway passes data on; COA, the IND and the BRP keep their own
    /// records, so 90 days covers questions about a recently closed arrival, a quarter's reporting
    /// and late escalations, and no more. Unannounced reports keep their V-numbers as long.</summary>
    public TimeSpan PersonalDataRetention { get; set; } = TimeSpan.FromDays(90);

    /// <summary>How often the gateway looks for personal data past retention (also once at start-up).</summary>
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Most arrivals erased in one transaction, so writers never wait long behind an erase.</summary>
    public int BatchSize { get; set; } = 100;
}
