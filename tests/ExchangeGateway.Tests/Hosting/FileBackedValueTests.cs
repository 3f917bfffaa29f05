using ExchangeGateway.Server.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace ExchangeGateway.Tests.Hosting;

public sealed class FileBackedValueTests : IDisposable
{
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("exgw-filebacked-");
    private readonly FakeLogger _logger = new();

    public void Dispose() => _directory.Delete(recursive: true);

    private string PathOf(string name) => Path.Combine(_directory.FullName, name);

    /// <summary>A value that is the file's text, refusing text that says "invalid".</summary>
    private FileBackedValue<string> TextOf(params string[] paths) => new("test value", paths, () =>
    {
        var text = string.Concat(paths.Select(File.ReadAllText));
        return text.Contains("invalid", StringComparison.Ordinal) ? throw new InvalidDataException("says invalid") : text;
    }, _logger);

    [Fact]
    public void Constructor_ValidFile_LoadsIt()
    {
        File.WriteAllText(PathOf("a"), "one");

        Assert.Equal("one", TextOf(PathOf("a")).Current);
    }

    [Fact]
    public void Constructor_InvalidFile_Throws()
    {
        File.WriteAllText(PathOf("a"), "invalid");

        Assert.Throws<InvalidDataException>(() => TextOf(PathOf("a")));
    }

    [Fact]
    public void Refresh_Unchanged_KeepsValueAndReportsNothing()
    {
        File.WriteAllText(PathOf("a"), "one");
        var value = TextOf(PathOf("a"));

        Assert.False(value.Refresh());
        Assert.Equal("one", value.Current);
        Assert.Equal(0, _logger.Collector.Count);
    }

    [Fact]
    public void Refresh_FileReplaced_TakesNewValue()
    {
        File.WriteAllText(PathOf("a"), "one");
        var value = TextOf(PathOf("a"));

        File.WriteAllText(PathOf("a"), "second");

        Assert.True(value.Refresh());
        Assert.Equal("second", value.Current);
    }

    [Fact]
    public void Refresh_OneOfSeveralFilesChanged_LoadsAllAgain()
    {
        File.WriteAllText(PathOf("a"), "one");
        File.WriteAllText(PathOf("b"), "two");
        var value = TextOf(PathOf("a"), PathOf("b"));

        File.WriteAllText(PathOf("b"), "three");

        Assert.True(value.Refresh());
        Assert.Equal("onethree", value.Current);
    }

    [Fact]
    public void Refresh_FileReplacedByRename_TakesNewValue()
    {
        // How careful tools (and exgw certs) replace files: write aside, rename over.
        File.WriteAllText(PathOf("a"), "one");
        var value = TextOf(PathOf("a"));
        File.WriteAllText(PathOf("a.tmp"), "two");

        File.Move(PathOf("a.tmp"), PathOf("a"), overwrite: true);

        Assert.True(value.Refresh());
        Assert.Equal("two", value.Current);
    }

    [Fact]
    public void Refresh_SymbolicLinkRetargeted_TakesNewValue()
    {
        // A Kubernetes secret mount swaps a symbolic link; the link itself does not change size.
        File.WriteAllText(PathOf("v1"), "one");
        File.WriteAllText(PathOf("v2"), "two");
        File.CreateSymbolicLink(PathOf("current"), PathOf("v1"));
        var value = TextOf(PathOf("current"));

        File.Delete(PathOf("current"));
        File.CreateSymbolicLink(PathOf("current"), PathOf("v2"));

        Assert.True(value.Refresh());
        Assert.Equal("two", value.Current);
    }

    [Fact]
    public void Refresh_InvalidNewFile_KeepsLastGoodValueAndWarnsOnce()
    {
        File.WriteAllText(PathOf("a"), "one");
        var value = TextOf(PathOf("a"));

        File.WriteAllText(PathOf("a"), "now invalid");

        Assert.False(value.Refresh());
        Assert.False(value.Refresh());
        Assert.Equal("one", value.Current);
        var warning = Assert.Single(_logger.Collector.GetSnapshot(), r => r.Level == LogLevel.Warning);
        Assert.Contains("test value", warning.Message, StringComparison.Ordinal);
        Assert.Contains("last good", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Refresh_InvalidFileFixedAgain_TakesFixedValue()
    {
        File.WriteAllText(PathOf("a"), "one");
        var value = TextOf(PathOf("a"));
        File.WriteAllText(PathOf("a"), "invalid");
        value.Refresh();

        File.WriteAllText(PathOf("a"), "fixed");

        Assert.True(value.Refresh());
        Assert.Equal("fixed", value.Current);
    }

    [Fact]
    public void Refresh_FileDeleted_KeepsLastGoodValue()
    {
        File.WriteAllText(PathOf("a"), "one");
        var value = TextOf(PathOf("a"));

        File.Delete(PathOf("a"));

        Assert.False(value.Refresh());
        Assert.Equal("one", value.Current);
        Assert.Contains(_logger.Collector.GetSnapshot(), r => r.Level == LogLevel.Warning);
    }
}
