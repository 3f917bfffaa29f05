using ExchangeGateway.Server.Dashboard;
using ExchangeGateway.Server.Rules;

namespace ExchangeGateway.Tests.Dashboard;

public sealed class MunicipalityMapTests
{
    private static readonly MunicipalityMap Map = MunicipalityMap.Load();

    [Fact]
    public void Load_EmbeddedBoundaries_DrawsEvery2025Municipality()
    {
        Assert.Equal(342, Map.Codes.Count);
        Assert.Equal(342, Map.Svg.Split("<path data-code=", StringSplitOptions.None).Length - 1);
        Assert.Contains("<path data-code=\"0344\" d=\"M", Map.Svg, StringComparison.Ordinal);
        Assert.Contains("<title>Utrecht (0344)</title>", Map.Svg, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_EmbeddedBoundaries_MatchTheOpenCodesOfTheMunicipalityTable()
    {
        var table = MunicipalityTable.Load(Path.Combine(AppContext.BaseDirectory, "data", "gemeententabel.csv"));
        var open = table.OpenOn(new DateOnly(2025, 1, 1)).Select(m => m.Code).Where(c => c is not ("0000" or "1999")).ToHashSet();

        Assert.Equal(open.Order(), Map.Codes.Order());
    }

    [Fact]
    public void Parse_ReversedArc_DrawsItBackwards()
    {
        // One arc (0,0) -> (10,0) -> (10,10); a second ring uses it reversed (~0 = -1).
        var topology = """
            {"type":"Topology","arcs":[[[0,0],[10,0],[0,10]]],
             "objects":{"gemeente_2025":{"geometries":[
               {"type":"Polygon","arcs":[[0]],"properties":{"statcode":"GM0001","statnaam":"Een"}},
               {"type":"Polygon","arcs":[[-1]],"properties":{"statcode":"GM0002","statnaam":"Twee"}}]}}}
            """u8;

        var map = MunicipalityMap.Parse(topology);

        Assert.Contains("data-code=\"0001\" d=\"M0 10L6 10L6 0Z\"", map.Svg, StringComparison.Ordinal);
        Assert.Contains("data-code=\"0002\" d=\"M6 0L6 10L0 10Z\"", map.Svg, StringComparison.Ordinal);
    }
}
