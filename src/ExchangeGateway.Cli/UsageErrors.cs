using System.CommandLine;

namespace ExchangeGateway.Cli;

/// <summary>A mistake of the person at the command line (a missing file, a value of the wrong form):
/// reported as one line naming what to fix, never as a stack trace.</summary>
internal sealed class UsageException(string message) : Exception(message);

/// <summary>Runs a parsed command line. A <see cref="UsageException"/>, or a file that is missing or may
/// not be read, ends the command with one line on standard error and exit code 2; anything else is a
/// defect and keeps its stack trace.</summary>
internal static class UsageErrors
{
    public const int ExitCode = 2;

    public static async Task<int> InvokeAsync(ParseResult parsed)
    {
        try
        {
            return await parsed.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (Exception exception) when (exception is UsageException or FileNotFoundException or DirectoryNotFoundException or UnauthorizedAccessException)
        {
            await Console.Error.WriteLineAsync($"exgw {CommandPath(parsed)}: {exception.Message}");
            return ExitCode;
        }
    }

    private static string CommandPath(ParseResult parsed)
    {
        var names = new List<string>();
        for (var result = parsed.CommandResult; result is not null && result.Parent is not null; result = result.Parent as System.CommandLine.Parsing.CommandResult)
        {
            names.Insert(0, result.Command.Name);
        }
        return string.Join(' ', names);
    }
}
