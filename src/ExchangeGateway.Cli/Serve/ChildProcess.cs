using System.Diagnostics;
using System.Runtime.InteropServices;

namespace ExchangeGateway.Cli.Serve;

/// <summary>The outcome of a finished child process, with stdout and stderr interleaved.</summary>
public sealed record ProcessResult(int ExitCode, string Output);

/// <summary>A child process whose output is kept (stdout and stderr interleaved, for failure messages) and
/// which can be signalled at a moment of the caller's choosing: SIGKILL, SIGTERM, SIGSTOP and SIGCONT. The one
/// place a process is started: <see cref="GatewayProcess"/> runs <c>exgw serve</c> on it, the end-to-end
/// tests every other command.</summary>
public sealed class ChildProcess : IDisposable
{
    /// <summary>What the lines the process wrote on standard error start with in <see cref="Output"/>.</summary>
    public const string StandardErrorPrefix = "stderr: ";

    private const int SigTerm = 15;
    private const int SigCont = 18;
    private const int SigStop = 19;

    private readonly Process _process;
    private readonly ProcessOutput _output;
    private readonly Action<string>? _onLine;
    private readonly TaskCompletionSource _outputEnded = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _openStreams = 2;

    private ChildProcess(Process process, ProcessOutput output, Action<string>? onLine)
    {
        _process = process;
        _output = output;
        _onLine = onLine;
    }

    /// <summary>Everything the process printed so far (or the last lines, as its <see cref="ProcessOutput"/> keeps).</summary>
    public string Output => _output.Text;

    public bool HasExited => _process.HasExited;

    public int Id => _process.Id;

    /// <summary>The command line, for messages.</summary>
    public string CommandLine => $"{_process.StartInfo.FileName} {string.Join(' ', _process.StartInfo.ArgumentList)}";

    /// <summary>Completes once the process closed both stdout and stderr: it has gone (or handed them on).</summary>
    public Task OutputEnded => _outputEnded.Task;

    /// <summary>Starts <paramref name="fileName"/>; every line it prints goes to <paramref name="output"/> (a new
    /// one that keeps everything, if none is given) and then to <paramref name="onLine"/>.</summary>
    public static ChildProcess Start(string fileName, IEnumerable<string> arguments, string workingDirectory,
        IReadOnlyDictionary<string, string>? environment = null, ProcessOutput? output = null, Action<string>? onLine = null)
    {
        var start = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }
        var child = new ChildProcess(new Process { StartInfo = start }, output ?? new ProcessOutput(), onLine);
        child._process.OutputDataReceived += (_, e) => child.OnLine(e.Data);
        child._process.ErrorDataReceived += (_, e) => child.OnLine(e.Data is null ? null : StandardErrorPrefix + e.Data);
        child._process.Start();
        child._process.BeginOutputReadLine();
        child._process.BeginErrorReadLine();
        return child;
    }

    /// <summary>Runs a command to completion; kills it and throws with its output if it runs longer than <paramref name="timeout"/>.</summary>
    public static async Task<ProcessResult> RunAsync(string fileName, IEnumerable<string> arguments, string workingDirectory, TimeSpan timeout,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        using var child = Start(fileName, arguments, workingDirectory, environment);
        var exitCode = await child.WaitForExitAsync(timeout);
        return new ProcessResult(exitCode, child.Output);
    }

    /// <summary>The full path of an executable on PATH, or null.</summary>
    public static string? FindOnPath(string name)
    {
        foreach (var directory in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            foreach (var candidate in OperatingSystem.IsWindows() ? new[] { name + ".exe", name + ".cmd", name } : [name])
            {
                var path = Path.Combine(directory, candidate);
                if (File.Exists(path))
                {
                    return path;
                }
            }
        }
        return null;
    }

    /// <summary>SIGKILL (the whole tree): the process gets no chance to finish anything; returns once it has exited.</summary>
    public void Kill()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _output.Add("---- SIGKILL ----");
        }
        if (!WaitForExit(TimeSpan.FromSeconds(30)))
        {
            throw new InvalidOperationException("The process did not exit within 30 s of SIGKILL.\n" + Output);
        }
    }

    /// <summary>Whether the process exited within <paramref name="timeout"/> (it is left running if not).</summary>
    public bool WaitForExit(TimeSpan timeout)
    {
        if (!_process.WaitForExit(timeout))
        {
            return false;
        }
        _process.WaitForExit(); // drains the redirected output
        return true;
    }

    /// <summary>SIGTERM: asks the process to stop, as Ctrl+C or a service manager does. False if it had gone already.</summary>
    public bool Terminate() => !_process.HasExited && SendSignal(_process.Id, SigTerm) == 0;

    /// <summary>SIGSTOP: the process is frozen where it stands (nothing more reaches its files or sockets)
    /// until <see cref="Resume"/>, so a test can act at a moment the process cannot run past.</summary>
    public void Pause() => Signal(SigStop);

    /// <summary>SIGCONT after <see cref="Pause"/>.</summary>
    public void Resume() => Signal(SigCont);

    /// <summary>The exit code, or null if the process still runs after <paramref name="timeout"/> (it is left running).</summary>
    public async Task<int?> TryWaitForExitAsync(TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            return null;
        }
        _process.WaitForExit(); // drains the redirected output
        return _process.ExitCode;
    }

    /// <summary>The exit code; kills the process and throws with its output if it runs longer than <paramref name="timeout"/>.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        if (await TryWaitForExitAsync(timeout) is { } exitCode)
        {
            return exitCode;
        }
        Kill();
        throw new TimeoutException($"'{CommandLine}' did not finish within {timeout.TotalSeconds} s. Output:\n{Output}");
    }

    /// <summary>Kills the process if it still runs.</summary>
    public void Dispose()
    {
        Kill();
        _process.Dispose();
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            if (Interlocked.Decrement(ref _openStreams) == 0)
            {
                _outputEnded.TrySetResult();
            }
            return;
        }
        _output.Add(line);
        _onLine?.Invoke(line);
    }

    private void Signal(int signal)
    {
        if (SendSignal(_process.Id, signal) != 0)
        {
            throw new InvalidOperationException($"kill({_process.Id}, {signal}) failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int SendSignal(int pid, int signal);
}
