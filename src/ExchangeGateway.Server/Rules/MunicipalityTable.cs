using System.Collections.Frozen;
using System.Globalization;

namespace ExchangeGateway.Server.Rules;

/// <summary>RvIG Landelijke Tabel 33 (gemeententabel): which municipality codes are open on a date,
/// and where a closed code went. valid_until is the first day a code is no longer valid.</summary>
public sealed class MunicipalityTable
{
    /// <summary>Codes in the table that are not municipalities a person can move to.</summary>
    private static readonly FrozenSet<string> NotAPlace = FrozenSet.Create(StringComparer.Ordinal, "0000", "1999");

    private readonly FrozenDictionary<string, Municipality> _byCode;

    public MunicipalityTable(IEnumerable<Municipality> municipalities)
    {
        _byCode = municipalities.ToFrozenDictionary(m => m.Code, StringComparer.Ordinal);
    }

    public IEnumerable<Municipality> All => _byCode.Values;

    public int Count => _byCode.Count;

    public Municipality? Find(string code) => _byCode.GetValueOrDefault(code);

    /// <summary>The municipalities a person can be announced to on <paramref name="date"/> (342 on 1 January 2025), by code.</summary>
    public IEnumerable<Municipality> OpenOn(DateOnly date) =>
        _byCode.Values.Where(m => Check(m.Code, date).Status == MunicipalityStatus.Open).OrderBy(m => m.Code, StringComparer.Ordinal);

    /// <summary>Whether a person can be announced to <paramref name="code"/> on <paramref name="date"/>.</summary>
    public MunicipalityCheck Check(string code, DateOnly date)
    {
        if (!_byCode.TryGetValue(code, out var municipality) || NotAPlace.Contains(code))
        {
            return new MunicipalityCheck(MunicipalityStatus.Unknown, null, null);
        }
        if (municipality.ValidFrom is { } from && date < from)
        {
            return new MunicipalityCheck(MunicipalityStatus.NotYetOpen, municipality, null);
        }
        if (municipality.ValidUntil is { } until && date >= until)
        {
            return new MunicipalityCheck(MunicipalityStatus.Closed, municipality, CurrentSuccessor(municipality, date));
        }
        return new MunicipalityCheck(MunicipalityStatus.Open, municipality, null);
    }

    /// <summary>Follows the successor chain (a successor may itself have merged since) to the code
    /// that is open on <paramref name="date"/>, or null when the chain ends without one.</summary>
    public Municipality? CurrentSuccessor(Municipality closed, DateOnly date)
    {
        var current = closed;
        for (var hops = 0; hops < 32 && current.SuccessorCode is { Length: > 0 } next; hops++)
        {
            if (!_byCode.TryGetValue(next, out var successor))
            {
                return null;
            }
            if (successor.ValidUntil is null || date < successor.ValidUntil)
            {
                return successor;
            }
            current = successor;
        }
        return null;
    }

    /// <summary>Reads the CSV as published with the Haal Centraal BRP API:
    /// "code","name","successor_code","valid_from","valid_until" with dates as yyyymmdd.</summary>
    public static MunicipalityTable Load(string path)
    {
        var rows = new List<Municipality>();
        var codes = new HashSet<string>(StringComparer.Ordinal);
        var lineNumber = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNumber++;
            if (lineNumber == 1 || string.IsNullOrWhiteSpace(line))
            {
                continue;
            }
            var fields = SplitCsvLine(line);
            if (fields.Count != 5)
            {
                throw new InvalidDataException($"{path}:{lineNumber}: expected 5 fields, found {fields.Count}.");
            }
            if (!codes.Add(fields[0]))
            {
                throw new InvalidDataException($"{path}:{lineNumber}: code '{fields[0]}' appears twice.");
            }
            rows.Add(new Municipality(fields[0], fields[1], NullIfEmpty(fields[2]), ParseDate(fields[3], path, lineNumber), ParseDate(fields[4], path, lineNumber)));
        }
        return new MunicipalityTable(rows);
    }

    /// <summary>Splits one CSV line; fields may be quoted and quoted fields may hold commas
    /// ("Hoogeloon, Hapert en Casteren") and doubled quotes.</summary>
    private static List<string> SplitCsvLine(string line)
    {
        var fields = new List<string>();
        var current = new System.Text.StringBuilder();
        var quoted = false;
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < line.Length && line[i + 1] == '"')
                {
                    current.Append('"');
                    i++;
                }
                else if (c == '"')
                {
                    quoted = false;
                }
                else
                {
                    current.Append(c);
                }
            }
            else if (c == '"')
            {
                quoted = true;
            }
            else if (c == ',')
            {
                fields.Add(current.ToString().Trim());
                current.Clear();
            }
            else
            {
                current.Append(c);
            }
        }
        fields.Add(current.ToString().Trim());
        return fields;
    }

    private static string? NullIfEmpty(string value) => value.Length == 0 ? null : value;

    private static DateOnly? ParseDate(string value, string path, int lineNumber) =>
        value.Length == 0 ? null
        : DateOnly.TryParseExact(value, "yyyyMMdd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date) ? date
        : throw new InvalidDataException($"{path}:{lineNumber}: '{value}' is not a yyyymmdd date.");
}

/// <summary>One row of table 33.</summary>
public sealed record Municipality(string Code, string Name, string? SuccessorCode, DateOnly? ValidFrom, DateOnly? ValidUntil);

public enum MunicipalityStatus
{
    Open,
    Unknown,
    NotYetOpen,
    Closed,
}

/// <summary>The answer of <see cref="MunicipalityTable.Check"/>; <see cref="Successor"/> is set for closed codes.</summary>
public sealed record MunicipalityCheck(MunicipalityStatus Status, Municipality? Municipality, Municipality? Successor);
