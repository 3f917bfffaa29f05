using System.Globalization;
using System.Text;
using System.Text.Json;

namespace ExchangeGateway.Server.Dashboard;

/// <summary>The 2025 municipality boundaries (CBS/Kadaster Wijk- en Buurtkaart, simplified, from the
/// TopoJSON embedded in the gateway) as one SVG path per municipality code, drawn once at start.
/// Longitude is scaled by the cosine of the country's middle latitude, so the shape is not stretched.</summary>
internal sealed class MunicipalityMap
{
    /// <summary>The credit the boundary data's publisher asks every map to carry.</summary>
    public const string Credit = "Kadaster / Centraal Bureau voor de Statistiek, 2025";

    private const double LongitudeScale = 0.6129; // cos(52.2°)

    private MunicipalityMap(string svg, IReadOnlySet<string> codes)
    {
        Svg = svg;
        Codes = codes;
    }

    /// <summary>An SVG document: a <c>path</c> per municipality with <c>data-code</c> (e.g. 0344) and a <c>title</c>.</summary>
    public string Svg { get; }

    /// <summary>The municipality codes on the map.</summary>
    public IReadOnlySet<string> Codes { get; }

    public static MunicipalityMap Load() => Parse(DashboardAssets.Read("gemeente_2025.topojson"));

    public static MunicipalityMap Parse(ReadOnlySpan<byte> topoJson)
    {
        using var document = JsonDocument.Parse(topoJson.ToArray());
        var root = document.RootElement;
        var arcs = root.GetProperty("arcs").EnumerateArray().Select(Decode).ToList();
        var minX = arcs.SelectMany(a => a).Min(p => p.X);
        var maxX = arcs.SelectMany(a => a).Max(p => p.X);
        var minY = arcs.SelectMany(a => a).Min(p => p.Y);
        var maxY = arcs.SelectMany(a => a).Max(p => p.Y);
        var width = (int)Math.Ceiling((maxX - minX) * LongitudeScale);
        var height = maxY - minY;

        var svg = new StringBuilder(256 * 1024);
        svg.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {width} {height}\" role=\"img\" aria-labelledby=\"kaart-titel\">");
        svg.Append("<title id=\"kaart-titel\">Kaart van de gemeenten (grenzen 2025)</title>");
        var codes = new HashSet<string>(StringComparer.Ordinal);
        foreach (var geometry in root.GetProperty("objects").GetProperty("gemeente_2025").GetProperty("geometries").EnumerateArray())
        {
            var properties = geometry.GetProperty("properties");
            var code = properties.GetProperty("statcode").GetString()!.Replace("GM", "", StringComparison.Ordinal);
            var name = properties.GetProperty("statnaam").GetString()!;
            codes.Add(code);
            var polygons = geometry.GetProperty("type").GetString() == "MultiPolygon"
                ? geometry.GetProperty("arcs").EnumerateArray().ToList()
                : [geometry.GetProperty("arcs")];
            svg.Append(CultureInfo.InvariantCulture, $"<path data-code=\"{code}\" d=\"");
            foreach (var ring in polygons.SelectMany(p => p.EnumerateArray()))
            {
                var first = true;
                foreach (var point in Ring(arcs, ring))
                {
                    svg.Append(first ? 'M' : 'L');
                    svg.Append(CultureInfo.InvariantCulture, $"{Math.Round((point.X - minX) * LongitudeScale)} {maxY - point.Y}");
                    first = false;
                }
                svg.Append('Z');
            }
            svg.Append("\"><title>").Append(System.Net.WebUtility.HtmlEncode($"{name} ({code})")).Append("</title></path>");
        }
        svg.Append("</svg>");
        return new MunicipalityMap(svg.ToString(), codes);
    }

    /// <summary>An arc's points: TopoJSON stores them quantized, each as the difference from the previous one.</summary>
    private static List<(int X, int Y)> Decode(JsonElement arc)
    {
        var points = new List<(int X, int Y)>();
        int x = 0, y = 0;
        foreach (var delta in arc.EnumerateArray())
        {
            x += delta[0].GetInt32();
            y += delta[1].GetInt32();
            points.Add((x, y));
        }
        return points;
    }

    /// <summary>A ring's points from its arcs; a negative index (~i) is arc i reversed, and each arc
    /// after the first repeats the previous one's last point.</summary>
    private static IEnumerable<(int X, int Y)> Ring(List<List<(int X, int Y)>> arcs, JsonElement ring)
    {
        var first = true;
        foreach (var index in ring.EnumerateArray().Select(i => i.GetInt32()))
        {
            var arc = index >= 0 ? arcs[index] : Enumerable.Reverse(arcs[~index]).ToList();
            foreach (var point in first ? arc : arc.Skip(1))
            {
                yield return point;
            }
            first = false;
        }
    }
}
