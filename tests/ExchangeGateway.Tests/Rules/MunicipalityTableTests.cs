using ExchangeGateway.Server.Rules;

namespace ExchangeGateway.Tests.Rules;

public sealed class MunicipalityTableTests
{
    /// <summary>The table as shipped (copied to the output by the server project).</summary>
    internal static readonly string ShippedPath = Path.Combine(AppContext.BaseDirectory, "data", "gemeententabel.csv");

    private static readonly Lazy<MunicipalityTable> Shipped = new(() => MunicipalityTable.Load(ShippedPath));

    private static readonly DateOnly Today = new(2026, 11, 28);

    private static MunicipalityTable Table => Shipped.Value;

    [Fact]
    public void Load_ShippedTable_HasEveryRow()
    {
        Assert.Equal(File.ReadLines(ShippedPath).Count() - 1, Table.All.Count());
    }

    [Fact]
    public void All_ShippedTable_Has344OpenCodesOf342MunicipalitiesToday()
    {
        var open = Table.All.Where(m => m.ValidUntil is null || Today < m.ValidUntil).Select(m => m.Code).ToHashSet();
        var places = Table.All.Where(m => Table.Check(m.Code, Today).Status == MunicipalityStatus.Open).Select(m => m.Code).ToHashSet();

        Assert.Equal(344, open.Count);
        Assert.Equal(342, places.Count);
        Assert.Equal(["0000", "1999"], open.Except(places).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Check_WeespOnLastDayBeforeMerger_IsOpen()
    {
        var check = Table.Check("0457", new DateOnly(2022, 3, 23));

        Assert.Equal(MunicipalityStatus.Open, check.Status);
        Assert.Equal("Weesp", check.Municipality?.Name);
        Assert.Null(check.Successor);
    }

    [Fact]
    public void Check_WeespOnMergerDay_IsClosedWithSuccessorAmsterdam()
    {
        // valid_until 20220324 is the first day the code is no longer valid.
        var check = Table.Check("0457", new DateOnly(2022, 3, 24));

        Assert.Equal(MunicipalityStatus.Closed, check.Status);
        Assert.Equal("0457", check.Municipality?.Code);
        Assert.Equal("0363", check.Successor?.Code);
        Assert.Equal("Amsterdam", check.Successor?.Name);
    }

    [Fact]
    public void Check_CodeWhoseSuccessorMergedAgain_ResolvesToTheCurrentOpenMunicipality()
    {
        // From the CSV: 0001 Adorp -> 0053 Winsum (until 20190101) -> 1966 Het Hogeland (open).
        var check = Table.Check("0001", Today);

        Assert.Equal(MunicipalityStatus.Closed, check.Status);
        Assert.Equal("0053", Table.Find("0001")?.SuccessorCode);
        Assert.Equal(new DateOnly(2019, 1, 1), Table.Find("0053")?.ValidUntil);
        Assert.Equal("1966", check.Successor?.Code);
        Assert.Equal("Het Hogeland", check.Successor?.Name);
    }

    [Theory]
    // From the CSV: 0013 Finsterwolde (until 19900101) -> 0006 Beerta (until 19910701)
    // -> 1661 Reiderland (19910701 until 20100101) -> 1895 Oldambt (open).
    [InlineData("1990-06-01", "0006")]
    [InlineData("1991-07-01", "1661")]
    [InlineData("2009-12-31", "1661")]
    [InlineData("2010-01-01", "1895")]
    [InlineData("2026-11-28", "1895")]
    public void CurrentSuccessor_ChainOfThreeMergers_FollowsItToTheCodeOpenOnTheDate(string date, string expected)
    {
        var check = Table.Check("0013", DateOnly.Parse(date, System.Globalization.CultureInfo.InvariantCulture));

        Assert.Equal(MunicipalityStatus.Closed, check.Status);
        Assert.Equal(expected, check.Successor?.Code);
    }

    [Fact]
    public void Check_ClosedCodeWithoutSuccessor_IsClosedWithoutSuccessor()
    {
        var check = Table.Check("0997", Today);

        Assert.Equal(MunicipalityStatus.Closed, check.Status);
        Assert.Null(check.Successor);
    }

    [Fact]
    public void Check_BeforeValidFrom_IsNotYetOpen()
    {
        // 1966 Het Hogeland exists from 20190101.
        Assert.Equal(MunicipalityStatus.NotYetOpen, Table.Check("1966", new DateOnly(2018, 12, 31)).Status);
        Assert.Equal(MunicipalityStatus.Open, Table.Check("1966", new DateOnly(2019, 1, 1)).Status);
    }

    [Theory]
    [InlineData("0000")]
    [InlineData("1999")]
    public void Check_OnbekendOrRni_IsUnknownThoughInTheTable(string code)
    {
        Assert.NotNull(Table.Find(code));

        var check = Table.Check(code, Today);

        Assert.Equal(MunicipalityStatus.Unknown, check.Status);
        Assert.Null(check.Municipality);
    }

    [Theory]
    [InlineData("9998")]
    [InlineData("")]
    [InlineData("363")]
    public void Check_CodeNotInTable_IsUnknown(string code)
    {
        Assert.Equal(MunicipalityStatus.Unknown, Table.Check(code, Today).Status);
    }

    [Theory]
    [InlineData("0014", "Groningen")]
    [InlineData("0344", "Utrecht")]
    [InlineData("0363", "Amsterdam")]
    public void Check_OpenMunicipality_IsOpen(string code, string name)
    {
        var check = Table.Check(code, Today);

        Assert.Equal(MunicipalityStatus.Open, check.Status);
        Assert.Equal(name, check.Municipality?.Name);
    }

    [Theory]
    [InlineData("0800", "Hoogeloon, Hapert en Casteren", "1728")]
    [InlineData("0820", "Nuenen, Gerwen en Nederwetten", null)]
    [InlineData("1263", "Drongelen, Hangoort,Gansoyen en Doeveren", "1049")]
    [InlineData("1348", "Nieuwland, Kortland en 's-Graveland", "1096")]
    public void Load_QuotedNameWithCommas_KeepsNameAndLaterFields(string code, string name, string? successor)
    {
        var municipality = Table.Find(code);

        Assert.NotNull(municipality);
        Assert.Equal(name, municipality.Name);
        Assert.Equal(successor, municipality.SuccessorCode);
    }

    [Fact]
    public void Load_DoubledQuotesAndBlankLines_Parses()
    {
        using var file = new TempCsv(
            "\"code\",\"name\",\"successor_code\",\"valid_from\",\"valid_until\"",
            "",
            "\"0100\",\"De \"\"Oude\"\", Stad\",\"0101\",\"19000101\",\"20200101\"",
            "0101,Nieuwe Stad,,20200101,");

        var table = MunicipalityTable.Load(file.Path);

        Assert.Equal(new Municipality("0100", "De \"Oude\", Stad", "0101", new DateOnly(1900, 1, 1), new DateOnly(2020, 1, 1)), table.Find("0100"));
        Assert.Equal(new Municipality("0101", "Nieuwe Stad", null, new DateOnly(2020, 1, 1), null), table.Find("0101"));
    }

    [Theory]
    [InlineData("\"0100\",\"Stad\",\"\",\"\"")]
    [InlineData("\"0100\",\"Stad\",\"\",\"\",\"\",\"\"")]
    [InlineData("\"0100\",Stad, Dorp,\"\",\"\",\"\"")]
    public void Load_WrongFieldCount_ThrowsWithLineNumber(string badLine)
    {
        using var file = new TempCsv(
            "\"code\",\"name\",\"successor_code\",\"valid_from\",\"valid_until\"",
            "\"0014\",\"Groningen\",\"\",\"\",\"\"",
            badLine);

        var error = Assert.Throws<InvalidDataException>(() => MunicipalityTable.Load(file.Path));

        Assert.Contains($"{file.Path}:3:", error.Message, StringComparison.Ordinal);
        Assert.Contains("5 fields", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("\"0100\",\"Stad\",\"\",\"2020-01-01\",\"\"", "2020-01-01")]
    [InlineData("\"0100\",\"Stad\",\"\",\"\",\"20201301\"", "20201301")]
    [InlineData("\"0100\",\"Stad\",\"\",\"\",\"2020011\"", "2020011")]
    public void Load_BadDate_ThrowsWithLineNumber(string badLine, string badDate)
    {
        using var file = new TempCsv(
            "\"code\",\"name\",\"successor_code\",\"valid_from\",\"valid_until\"",
            "\"0014\",\"Groningen\",\"\",\"\",\"\"",
            "",
            badLine);

        var error = Assert.Throws<InvalidDataException>(() => MunicipalityTable.Load(file.Path));

        Assert.Contains($"{file.Path}:4:", error.Message, StringComparison.Ordinal);
        Assert.Contains($"'{badDate}'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_CodeTwice_ThrowsWithLineNumber()
    {
        using var file = new TempCsv(
            "\"code\",\"name\",\"successor_code\",\"valid_from\",\"valid_until\"",
            "\"0014\",\"Groningen\",\"\",\"\",\"\"",
            "\"0014\",\"Groningen\",\"\",\"\",\"\"");

        var error = Assert.Throws<InvalidDataException>(() => MunicipalityTable.Load(file.Path));

        Assert.Contains($"{file.Path}:3:", error.Message, StringComparison.Ordinal);
    }

    /// <summary>0100 merged into 0200 on 2020-01-01; 0200 merges into 0300 on 2027-01-01.</summary>
    private static readonly MunicipalityTable MergedTwice = new(
    [
        new Municipality("0100", "Oudstad", "0200", null, new DateOnly(2020, 1, 1)),
        new Municipality("0200", "Middenstad", "0300", new DateOnly(2020, 1, 1), new DateOnly(2027, 1, 1)),
        new Municipality("0300", "Nieuwstad", null, new DateOnly(2027, 1, 1), null),
    ]);

    [Theory]
    [InlineData("2026-12-31", "0200")]
    [InlineData("2027-01-01", "0300")]
    [InlineData("2040-06-15", "0300")]
    public void CurrentSuccessor_CodeMergedIntoCodeThatMergedAgain_IsTheCodeOpenOnTheDate(string date, string expected)
    {
        var day = DateOnly.Parse(date, System.Globalization.CultureInfo.InvariantCulture);

        Assert.Equal(expected, MergedTwice.CurrentSuccessor(MergedTwice.Find("0100")!, day)?.Code);
        Assert.Equal(expected, MergedTwice.Check("0100", day).Successor?.Code);
    }

    [Fact]
    public void Check_SuccessorOnTheDayItMergesAgain_IsClosedWithTheNextSuccessor()
    {
        Assert.Equal(MunicipalityStatus.Open, MergedTwice.Check("0200", new DateOnly(2026, 12, 31)).Status);

        var check = MergedTwice.Check("0200", new DateOnly(2027, 1, 1));

        Assert.Equal(MunicipalityStatus.Closed, check.Status);
        Assert.Equal("0300", check.Successor?.Code);
    }

    [Fact]
    public void CurrentSuccessor_ChainEndsInAClosedCodeWithoutSuccessor_IsNull()
    {
        var table = new MunicipalityTable(
        [
            new Municipality("0100", "Oudstad", "0200", null, new DateOnly(2020, 1, 1)),
            new Municipality("0200", "Middenstad", null, null, new DateOnly(2022, 1, 1)),
        ]);

        Assert.Null(table.CurrentSuccessor(table.Find("0100")!, Today));
    }

    [Fact]
    public void CurrentSuccessor_SuccessorNotInTable_IsNull()
    {
        var table = new MunicipalityTable([new Municipality("0100", "Oudstad", "0200", null, new DateOnly(2020, 1, 1))]);

        Assert.Null(table.CurrentSuccessor(table.Find("0100")!, Today));
    }

    [Fact]
    public void CurrentSuccessor_CycleInTheTable_IsNullInsteadOfLoopingForever()
    {
        var table = new MunicipalityTable(
        [
            new Municipality("0100", "Oudstad", "0200", null, new DateOnly(2020, 1, 1)),
            new Municipality("0200", "Middenstad", "0100", null, new DateOnly(2020, 1, 1)),
        ]);

        Assert.Null(table.CurrentSuccessor(table.Find("0100")!, Today));
    }

    private sealed class TempCsv : IDisposable
    {
        public TempCsv(params string[] lines)
        {
            Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "exgw-table-" + Guid.NewGuid().ToString("N") + ".csv");
            File.WriteAllLines(Path, lines);
        }

        public string Path { get; }

        public void Dispose() => File.Delete(Path);
    }
}
