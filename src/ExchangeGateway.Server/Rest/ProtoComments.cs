using System.Text.RegularExpressions;

namespace ExchangeGateway.Server.Rest;

/// <summary>The leading <c>//</c> comments of the declarations in .proto files, by full name
/// (<c>exchange.v1.ArrivalService.AnnounceArrival</c>, <c>exchange.v1.Date.year</c>): the contract's
/// own words for the OpenAPI document. Generated C# descriptors carry no comments, so they are read
/// from the files the descriptors were compiled from.</summary>
internal static partial class ProtoComments
{
    /// <summary>The comments of the exchange.v1 contract under <paramref name="protosFolder"/> (the
    /// repository's <c>protos/</c>), or null when it holds none.</summary>
    public static Dictionary<string, string>? ReadContract(string protosFolder)
    {
        var folder = Path.Combine(protosFolder, "exchange", "v1");
        return Directory.Exists(folder) ? Read(Directory.GetFiles(folder, "*.proto").Order(StringComparer.Ordinal)) : null;
    }

    private static Dictionary<string, string> Read(IEnumerable<string> protoFiles)
    {
        var comments = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var file in protoFiles)
        {
            ReadFile(File.ReadAllLines(file), comments);
        }
        return comments;
    }

    private static void ReadFile(string[] lines, Dictionary<string, string> comments)
    {
        var package = "";
        // Each open brace: the declaration's name, or null for a block that names nothing (an option, a oneof).
        var scopes = new Stack<string?>();
        var pending = new List<string>();
        foreach (var raw in lines)
        {
            var line = raw.Trim();
            if (line.StartsWith("//", StringComparison.Ordinal))
            {
                pending.Add(line[2..].Trim());
                continue;
            }
            var scope = string.Join('.', new[] { package }.Concat(scopes.Reverse().Where(s => s is not null)).Where(s => s!.Length > 0));
            string? declared = null;
            if (Package().Match(line) is { Success: true } p)
            {
                package = p.Groups[1].Value;
            }
            else if (Declaration().Match(line) is { Success: true } d)
            {
                declared = d.Groups[2].Value;
            }
            else if (Rpc().Match(line) is { Success: true } r)
            {
                Remember(comments, scope + "." + r.Groups[1].Value, pending);
            }
            else if (Field().Match(line) is { Success: true } f && scopes.Count > 0)
            {
                Remember(comments, scope + "." + f.Groups[1].Value, pending);
            }
            if (declared is not null)
            {
                Remember(comments, scope + "." + declared, pending);
            }
            pending.Clear();
            var opened = line.Count(c => c == '{');
            var closed = line.Count(c => c == '}');
            for (var i = 0; i < opened; i++)
            {
                scopes.Push(i == 0 ? declared : null);
            }
            for (var i = 0; i < closed && scopes.Count > 0; i++)
            {
                scopes.Pop();
            }
        }
    }

    private static void Remember(Dictionary<string, string> comments, string name, List<string> pending)
    {
        if (pending.Count > 0)
        {
            comments[name.TrimStart('.')] = string.Join(' ', pending).Trim();
        }
    }

    [GeneratedRegex(@"^package ([\w.]+);")]
    private static partial Regex Package();

    [GeneratedRegex(@"^(message|enum|service) (\w+)")]
    private static partial Regex Declaration();

    [GeneratedRegex(@"^rpc (\w+)\(")]
    private static partial Regex Rpc();

    // A field (repeated, optional, map<…> or a type, its name, its number) or an enum value (name = number).
    [GeneratedRegex(@"^(?:(?:repeated|optional)\s+)?(?:map<[^>]+>\s+|[\w.]+\s+)?(\w+)\s*=\s*-?\d+")]
    private static partial Regex Field();
}
