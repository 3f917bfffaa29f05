using ExchangeGateway.Server.Rules;
using ExchangeGateway.Tests.Fixtures;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace ExchangeGateway.Tests.Rules;

public sealed class MunicipalityTableFileTests : IDisposable
{
    private static readonly DateOnly Today = new(2026, 11, 28);

    private readonly string _directory = Directory.CreateTempSubdirectory("exgw-table-file-").FullName;
    private readonly FakeLogger<MunicipalityTableFile> _logger = new();

    private string PathOfTable => Path.Combine(_directory, "gemeententabel.csv");

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private MunicipalityTableFile Open()
    {
        TestTables.WriteShipped(PathOfTable);
        return new MunicipalityTableFile(PathOfTable, _logger);
    }

    [Fact]
    public void Refresh_FileUnchanged_KeepsTheSameTable()
    {
        var file = Open();
        var before = file.Current;

        Assert.False(file.Refresh());

        Assert.Same(before, file.Current);
    }

    [Fact]
    public void Refresh_FileReplaced_UsesTheNewTable()
    {
        var file = Open();
        Assert.Equal(MunicipalityStatus.Open, file.Current.Check("0590", Today).Status);

        TestTables.WriteShipped(PathOfTable, ("0590", "0505", Today));

        Assert.True(file.Refresh());
        var check = file.Current.Check("0590", Today);
        Assert.Equal(MunicipalityStatus.Closed, check.Status);
        Assert.Equal("0505", check.Successor?.Code);
    }

    [Fact]
    public void Refresh_SameLengthButRewritten_UsesTheNewTable()
    {
        var file = Open();
        // Same length as the shipped file: only the last-write time tells the two apart.
        var text = File.ReadAllText(PathOfTable).Replace("\"Papendrecht\"", "\"Papendrechd\"", StringComparison.Ordinal);
        File.WriteAllText(PathOfTable, text);
        File.SetLastWriteTimeUtc(PathOfTable, DateTime.UtcNow.AddMinutes(1));

        Assert.True(file.Refresh());
        Assert.Equal("Papendrechd", file.Current.Find("0590")?.Name);
    }

    [Fact]
    public void Refresh_InvalidReplacement_KeepsTheLastGoodTableAndWarnsOnce()
    {
        var file = Open();
        var good = file.Current;
        File.AppendAllLines(PathOfTable, ["\"9990\",\"Nergens\",\"\",\"2026-01-01\",\"\""]);

        Assert.False(file.Refresh());
        Assert.False(file.Refresh());

        Assert.Same(good, file.Current);
        var warning = Assert.Single(_logger.Collector.GetSnapshot(), r => r.Level == LogLevel.Warning);
        Assert.Contains("the last good municipality table stays in effect", warning.Message, StringComparison.Ordinal);
        Assert.Contains("'2026-01-01'", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Refresh_InvalidThenFixed_UsesTheFixedTable()
    {
        var file = Open();
        File.AppendAllLines(PathOfTable, ["\"9990\",\"Nergens\",\"\",\"\""]);
        Assert.False(file.Refresh());

        TestTables.WriteShipped(PathOfTable, ("0590", "0505", Today));

        Assert.True(file.Refresh());
        Assert.Equal(MunicipalityStatus.Closed, file.Current.Check("0590", Today).Status);
    }

    [Fact]
    public void Refresh_TruncatedReplacement_KeepsTheLastGoodTable()
    {
        var file = Open();
        var good = file.Current;
        // A copy cut off halfway: every line it has is valid, but codes are missing.
        var lines = File.ReadAllLines(PathOfTable);
        File.WriteAllLines(PathOfTable, lines.Take(lines.Length / 2));

        Assert.False(file.Refresh());

        Assert.Same(good, file.Current);
        var warning = Assert.Single(_logger.Collector.GetSnapshot(), r => r.Level == LogLevel.Warning);
        Assert.Contains("never drops a code", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Refresh_FileRemoved_KeepsTheLastGoodTable()
    {
        var file = Open();
        var good = file.Current;
        File.Delete(PathOfTable);

        Assert.False(file.Refresh());

        Assert.Same(good, file.Current);
        Assert.Contains(_logger.Collector.GetSnapshot(), r => r.Level == LogLevel.Warning && r.Message.Contains("FileNotFoundException", StringComparison.Ordinal));
    }

    [Fact]
    public void Constructor_InvalidFile_Throws()
    {
        File.WriteAllLines(PathOfTable, ["\"code\",\"name\",\"successor_code\",\"valid_from\",\"valid_until\"", "\"0100\",\"Stad\""]);

        Assert.Throws<InvalidDataException>(() => new MunicipalityTableFile(PathOfTable, _logger));
    }
}
