namespace ExchangeGateway.Tests.Shared;

/// <summary>Where the repository's files are, for tests that read or run them.</summary>
internal static class TestRepository
{
    /// <summary>The repository root: the first folder above the test output holding ExchangeGateway.sln.</summary>
    public static string Root()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "ExchangeGateway.sln")))
            {
                return directory.FullName;
            }
        }
        throw new InvalidOperationException($"No folder above {AppContext.BaseDirectory} holds ExchangeGateway.sln.");
    }
}
