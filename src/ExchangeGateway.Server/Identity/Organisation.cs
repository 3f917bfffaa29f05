namespace ExchangeGateway.Server.Identity;

/// <summary>What an organisation is in the chain; decides which calls it may make.</summary>
public enum OrganisationRole
{
    /// <summary>COA: announces and follows arrivals.</summary>
    Coa,
    /// <summary>IND: looks up travellers, receives BRP and BSN outcomes.</summary>
    Ind,
    /// <summary>Chain coordination (ketenregie): the national picture.</summary>
    ChainCoordination,
    /// <summary>A municipality's BRP system, serving one or more municipality codes.</summary>
    Municipality,
    /// <summary>The gateway itself, acting on deadlines. Never in the registry, never a caller.</summary>
    Gateway,
}

/// <summary>An organisation known to the gateway. It may hold several certificates and OINs; feeds and
/// acknowledgements belong to the organisation, so they survive certificate rotation.</summary>
public sealed record Organisation(
    string Id,
    string Name,
    OrganisationRole Role,
    IReadOnlyList<string> Oins,
    IReadOnlyList<string> MunicipalityCodes,
    IReadOnlyList<Webhooks.WebhookEndpoint>? Webhooks = null)
{
    /// <summary>The feeds of this organisation the operator has delivered by webhook.</summary>
    public IReadOnlyList<Webhooks.WebhookEndpoint> WebhookEndpoints => Webhooks ?? [];

    /// <summary>The feeds this organisation may open.</summary>
    public IEnumerable<string> Feeds => Role switch
    {
        OrganisationRole.Municipality => MunicipalityCodes.Select(FeedNames.Municipality),
        OrganisationRole.Coa => [FeedNames.Coa],
        OrganisationRole.Ind => [FeedNames.Ind],
        OrganisationRole.ChainCoordination => [FeedNames.Chain],
        _ => [],
    };

    /// <summary>Whether this organisation serves the municipality code.</summary>
    public bool Serves(string municipalityCode) =>
        Role == OrganisationRole.Municipality && MunicipalityCodes.Contains(municipalityCode, StringComparer.Ordinal);
}

/// <summary>The names of feeds: one per recipient role, and one per municipality code.</summary>
public static class FeedNames
{
    public const string Coa = "coa";
    public const string Ind = "ind";
    public const string Chain = "chain";

    public const string MunicipalityPrefix = "municipality:";

    public static string Municipality(string municipalityCode) => MunicipalityPrefix + municipalityCode;
}

/// <summary>The organisation behind a call, and the OIN it identified itself with.</summary>
public sealed record Caller(Organisation Organisation, string Oin)
{
    /// <summary>The gateway itself, as the actor of what it does on its own (escalations).</summary>
    public static Caller Gateway(string oin) =>
        new(new Organisation("exchange-gateway", "ExchangeGateway", OrganisationRole.Gateway, [oin], []), oin);

    /// <summary>The NL GOV CloudEvents <c>source</c> of notices this caller causes.</summary>
    public string Source => $"urn:nld:oin:{Oin}:systeem:{Organisation.Id}";
}
