using System.Collections.Frozen;
using System.Text.Json;
using System.Text.Json.Serialization;
using ExchangeGateway.Server.Validation;

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

    public Organisation? FindByOin(string oin) => _byOin.GetValueOrDefault(oin);

    public static OrganisationRegistry Load(string path)
    {
        using var stream = File.OpenRead(path);
        var file = JsonSerializer.Deserialize<RegistryFile>(stream, JsonOptions)
            ?? throw new InvalidDataException($"Organisation registry {path} is empty.");
        var organisations = file.Organisations
            ?? throw new InvalidDataException($"Organisation registry {path} has no \"organisations\" list.");
        // A missing role must not silently become the enum's first value (Coa).
        return new OrganisationRegistry(organisations.Select(o => new Organisation(
            o.Id, o.Name ?? o.Id,
            o.Role ?? throw new InvalidDataException($"Organisation registry {path}: organisation '{o.Id}' has no role."),
            o.Oins ?? [], o.MunicipalityCodes ?? [])));
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
        o.MunicipalityCodes.Count > 0 ? [.. o.MunicipalityCodes] : null);

    private sealed record RegistryFile(List<RegistryEntry>? Organisations);

    private sealed record RegistryEntry(string Id, string? Name, OrganisationRole? Role, List<string>? Oins, List<string>? MunicipalityCodes);
}
