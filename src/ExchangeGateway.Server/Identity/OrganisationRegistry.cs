using System.Collections.Frozen;
using System.Text.Json;
using System.Text.Json.Serialization;
using ExchangeGateway.Server.Webhooks;

namespace ExchangeGateway.Server.Identity;

/// <summary>Maps OINs to organisations. Loaded from a JSON file (see <c>certs/README.md</c>):
/// <code>{ "organisations": [ { "id": "coa", "name": "COA", "role": "Coa", "oins": ["…"] },
///   { "id": "gemeente-utrecht", "name": "Gemeente Utrecht", "role": "Municipality",
///     "oins": ["…"], "municipalityCodes": ["0344"] } ] }</code></summary>
public sealed class OrganisationRegistry
{
    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNameCaseInsensitive = true,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        Converters = { new JsonStringEnumConverter() },
    };

    private static readonly JsonSerializerOptions WriteOptions = new(JsonOptions)
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    private readonly FrozenDictionary<string, Organisation> _byOin;

    public OrganisationRegistry(IEnumerable<Organisation> organisations)
    {
        Organisations = [.. organisations];
        var errors = new List<string>();
        var byOin = new Dictionary<string, Organisation>(StringComparer.Ordinal);
        foreach (var organisation in Organisations)
        {
            if (string.IsNullOrWhiteSpace(organisation.Id))
            {
                errors.Add("an organisation has no id");
            }
            if (organisation.Oins.Count == 0)
            {
                errors.Add($"organisation '{organisation.Id}' has no OIN");
            }
            foreach (var oin in organisation.Oins)
            {
                if (!Identifiers.IsValidOin(oin))
                {
                    errors.Add($"organisation '{organisation.Id}': '{oin}' is not a 20-digit OIN");
                }
                else if (!byOin.TryAdd(oin, organisation))
                {
                    errors.Add($"OIN {oin} is listed for both '{byOin[oin].Id}' and '{organisation.Id}'");
                }
            }
            if (!Enum.IsDefined(organisation.Role) || organisation.Role == OrganisationRole.Gateway)
            {
                errors.Add($"organisation '{organisation.Id}' has role {organisation.Role}, which is not a caller's role");
            }
            if (organisation.Role == OrganisationRole.Municipality && organisation.MunicipalityCodes.Count == 0)
            {
                errors.Add($"municipal organisation '{organisation.Id}' serves no municipality code");
            }
            foreach (var code in organisation.MunicipalityCodes.Where(c => !Identifiers.IsMunicipalityCodeFormat(c)))
            {
                errors.Add($"organisation '{organisation.Id}': '{code}' is not a 4-digit municipality code");
            }
            if (organisation.Role != OrganisationRole.Municipality && organisation.MunicipalityCodes.Count > 0)
            {
                errors.Add($"organisation '{organisation.Id}' is not municipal but lists municipality codes");
            }
            foreach (var webhook in organisation.WebhookEndpoints)
            {
                errors.AddRange(WebhookProblems(organisation, webhook));
            }
            foreach (var twice in organisation.WebhookEndpoints.GroupBy(w => w.Feed, StringComparer.Ordinal).Where(g => g.Count() > 1))
            {
                errors.Add($"organisation '{organisation.Id}' lists feed {twice.Key} for two webhooks (one per feed)");
            }
        }
        foreach (var duplicate in Organisations.GroupBy(o => o.Id, StringComparer.Ordinal).Where(g => g.Count() > 1))
        {
            errors.Add($"organisation id '{duplicate.Key}' is listed twice");
        }
        if (errors.Count > 0)
        {
            throw new InvalidDataException("Organisation registry is invalid: " + string.Join("; ", errors));
        }
        _byOin = byOin.ToFrozenDictionary(StringComparer.Ordinal);
    }

    public IReadOnlyList<Organisation> Organisations { get; }

    /// <summary>Every webhook subscription, with its organisation.</summary>
    public IEnumerable<(Organisation Organisation, WebhookEndpoint Endpoint)> Webhooks =>
        Organisations.SelectMany(o => o.WebhookEndpoints.Select(w => (o, w)));

    private static IEnumerable<string> WebhookProblems(Organisation organisation, WebhookEndpoint webhook)
    {
        var at = $"organisation '{organisation.Id}', webhook of feed {webhook.Feed}";
        if (!organisation.Feeds.Contains(webhook.Feed, StringComparer.Ordinal))
        {
            yield return $"{at}: not a feed of this organisation";
        }
        if (!webhook.Url.IsAbsoluteUri || webhook.Url.Scheme != Uri.UriSchemeHttps)
        {
            yield return $"{at}: the url must be an absolute https:// address";
        }
        else if (webhook.Url.UserInfo.Length > 0 || webhook.Url.Fragment.Length > 0)
        {
            yield return $"{at}: the url must carry no user name, password or fragment";
        }
        if (webhook.Secret.Length < 24)
        {
            yield return $"{at}: the secret in {webhook.SecretPath} must be \"whsec_\" and at least 24 bytes in base64";
        }
        if (webhook.Concurrency is < 1)
        {
            yield return $"{at}: concurrency must be at least 1";
        }
    }

    public Organisation? FindByOin(string oin) => _byOin.GetValueOrDefault(oin);

    public static OrganisationRegistry Load(string path)
    {
        using var stream = File.OpenRead(path);
        var file = JsonSerializer.Deserialize<RegistryFile>(stream, JsonOptions)
            ?? throw new InvalidDataException($"Organisation registry {path} is empty.");
        var organisations = file.Organisations
            ?? throw new InvalidDataException($"Organisation registry {path} has no \"organisations\" list.");
        // A missing role must not silently become the enum's first value (Coa).
        var folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
        return new OrganisationRegistry(organisations.Select(o =>
        {
            var organisation = new Organisation(o.Id, o.Name ?? o.Id,
                o.Role ?? throw new InvalidDataException($"Organisation registry {path}: organisation '{o.Id}' has no role."),
                o.Oins ?? [], o.MunicipalityCodes ?? []);
            return o.Webhooks is { Count: > 0 } webhooks
                ? organisation with { Webhooks = [.. webhooks.Select(w => Webhook(path, folder, organisation, w))] }
                : organisation;
        }));
    }

    private static WebhookEndpoint Webhook(string path, string folder, Organisation organisation, WebhookEntry entry)
    {
        var where = $"Organisation registry {path}: organisation '{organisation.Id}'";
        // A municipal organisation names which of its codes' feeds; the others have one feed.
        var feed = entry.MunicipalityCode is { } code ? FeedNames.Municipality(code)
            : organisation.Role != OrganisationRole.Municipality ? organisation.Feeds.Single()
            : throw new InvalidDataException($"{where}: a municipal organisation's webhook names its municipalityCode.");
        if (!Uri.TryCreate(entry.Url, UriKind.Absolute, out var url))
        {
            throw new InvalidDataException($"{where}: webhook url '{entry.Url}' is not an absolute address.");
        }
        var secretPath = entry.SecretPath ?? throw new InvalidDataException($"{where}: the webhook of {feed} has no secretPath.");
        var secretFile = Path.Combine(folder, secretPath);
        if (!File.Exists(secretFile))
        {
            throw new InvalidDataException($"{where}: the webhook secret file {secretFile} does not exist.");
        }
        return new WebhookEndpoint(feed, url, secretPath, WebhookSecret.Parse(File.ReadAllText(secretFile)), entry.Concurrency, entry.Content ?? WebhookContent.Thin);
    }

    /// <summary>Writes the registry; through a temporary file and a rename, so a gateway reloading it
    /// never reads half of it.</summary>
    public void Save(string path)
    {
        var file = new RegistryFile([.. Organisations.Select(Entry)]);
        var temporary = path + ".tmp";
        File.WriteAllText(temporary, JsonSerializer.Serialize(file, WriteOptions));
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>One organisation as it appears in the registry file's "organisations" list.</summary>
    public static string EntryJson(Organisation organisation) => JsonSerializer.Serialize(Entry(organisation), WriteOptions);

    private static RegistryEntry Entry(Organisation o) => new(o.Id, o.Name, o.Role, [.. o.Oins],
        o.MunicipalityCodes.Count > 0 ? [.. o.MunicipalityCodes] : null,
        o.WebhookEndpoints.Count > 0 ? [.. o.WebhookEndpoints.Select(w => new WebhookEntry(
            w.Feed.StartsWith(FeedNames.MunicipalityPrefix, StringComparison.Ordinal) ? w.Feed[FeedNames.MunicipalityPrefix.Length..] : null,
            w.Url.OriginalString, w.SecretPath, w.Concurrency, w.Content))] : null);

    private sealed record RegistryFile(List<RegistryEntry>? Organisations);

    private sealed record RegistryEntry(string Id, string? Name, OrganisationRole? Role, List<string>? Oins, List<string>? MunicipalityCodes,
        List<WebhookEntry>? Webhooks = null);

    private sealed record WebhookEntry(string? MunicipalityCode, string? Url, string? SecretPath, int? Concurrency, WebhookContent? Content);
}
