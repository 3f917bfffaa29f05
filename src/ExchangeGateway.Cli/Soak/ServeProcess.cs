using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;

namespace ExchangeGateway.Cli.Soak;

/// <summary><c>exgw serve --dev</c> as a child process of this one, on its own SQLite file and port,
/// for <c>exgw soak</c>: it can be killed with SIGKILL (or stopped with SIGTERM) and started again on
/// the same database.</summary>
internal sealed partial class ServeProcess : IChaosGateway, IDisposable
{
    private const string ReadyMarker = "Exchange gateway listening on";
    private const int KeptLines = 200;

    private readonly string _databasePath;
    private readonly TimeSpan _startTimeout;
    private readonly bool _graceful;
    private readonly Queue<string> _lines = new();
    private readonly Lock _linesGate = new();
    private Process? _process;
    private int _port;

    private ServeProcess(string certificatesDirectory, string databasePath, TimeSpan startTimeout, bool graceful)
    {
        _graceful = graceful;
        CertificatesDirectory = certificatesDirectory;
        _databasePath = databasePath;
        _startTimeout = startTimeout;
    }

    public Uri Address { get; private set; } = null!;

    public string CertificatesDirectory { get; }

    public string StopSignal => _graceful ? "SIGTERM" : "SIGKILL";

    public string RecentOutput
    {
        get
        {
            lock (_linesGate)
            {
                return string.Join('\n', _lines);
            }
        }
    }

    /// <summary>Starts the gateway on a free loopback port. <paramref name="graceful"/>: <see cref="Kill"/>
    /// sends SIGTERM and waits for a graceful stop (SIGKILL after a minute).</summary>
    public static async Task<ServeProcess> StartAsync(string certificatesDirectory, string databasePath, TimeSpan startTimeout, bool graceful = false)
    {
        var gateway = new ServeProcess(certificatesDirectory, databasePath, startTimeout, graceful);
        try
        {
            await gateway.LaunchAsync(FreePort());
        }
        catch
        {
            gateway.Dispose();
            throw;
        }
        return gateway;
    }

    public void Kill()
    {
        var process = _process;
        if (process is null)
        {
            return;
        }
        if (_graceful && !process.HasExited && NativeMethods.Kill(process.Id, NativeMethods.SigTerm) == 0 && !process.WaitForExit(TimeSpan.FromMinutes(1)))
        {
            Append("---- still running a minute after SIGTERM ----");
        }
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
        }
        if (!process.WaitForExit(TimeSpan.FromSeconds(30)))
        {
            throw new InvalidOperationException("The gateway did not exit within 30 s of SIGKILL.\n" + RecentOutput);
        }
        process.WaitForExit();
        process.Dispose();
        _process = null;
    }

    public async Task RestartAsync()
    {
        Kill();
        Append("---- restart ----");
        await LaunchAsync(_port);
    }

    public void Dispose() => Kill();

    private async Task LaunchAsync(int port)
    {
        _port = port;
        var ready = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var start = new ProcessStartInfo(DotnetHost())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(_databasePath)!,
        };
        foreach (var argument in new[]
        {
            Path.Combine(AppContext.BaseDirectory, "exgw.dll"), "serve", "--dev",
            "--certs", CertificatesDirectory,
            "--db", _databasePath,
            "--urls", $"https://127.0.0.1:{port}", "--Gateway:Management:Urls=http://127.0.0.1:0",
            "--Logging:LogLevel:Default=Warning", "--Logging:LogLevel:Microsoft.Hosting.Lifetime=Warning",
        })
        {
            start.ArgumentList.Add(argument);
        }
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        var process = new Process { StartInfo = start };
        var open = 2;
        void OnLine(string? line)
        {
            if (line is null)
            {
                if (Interlocked.Decrement(ref open) == 0)
                {
                    ready.TrySetException(new InvalidOperationException("The gateway exited before it was listening.\n" + RecentOutput));
                }
                return;
            }
            Append(line);
            var index = line.IndexOf(ReadyMarker, StringComparison.Ordinal);
            if (index >= 0 && ListenAddress().Match(line, index + ReadyMarker.Length) is { Success: true } match)
            {
                ready.TrySetResult(match.Value);
            }
        }
        process.OutputDataReceived += (_, e) => OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => OnLine(e.Data is null ? null : "stderr: " + e.Data);
        if (!process.Start())
        {
            throw new InvalidOperationException("Could not start the gateway process.");
        }
        _process = process;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            Address = new Uri(await ready.Task.WaitAsync(_startTimeout));
        }
        catch (Exception exception) when (exception is TimeoutException or InvalidOperationException)
        {
            Kill();
            throw new InvalidOperationException($"The gateway did not start within {_startTimeout.TotalSeconds:F0} s.\n{RecentOutput}", exception);
        }
    }

    /// <summary>The dotnet host that runs this process (exgw runs as <c>dotnet exgw.dll</c>), or the
    /// one on PATH when this process is the exgw app host.</summary>
    private static string DotnetHost()
    {
        var self = Environment.ProcessPath;
        return self is not null && Path.GetFileNameWithoutExtension(self).Equals("dotnet", StringComparison.OrdinalIgnoreCase) ? self : "dotnet";
    }

    private void Append(string line)
    {
        lock (_linesGate)
        {
            _lines.Enqueue(line);
            while (_lines.Count > KeptLines)
            {
                _lines.Dequeue();
            }
        }
    }

    /// <summary>A loopback port nothing listens on now (also the demo's dashboard port).</summary>
    internal static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            return ((IPEndPoint)listener.LocalEndpoint).Port;
        }
        finally
        {
            listener.Stop();
        }
    }

    [GeneratedRegex(@"https://[^\s,]+")]
    private static partial Regex ListenAddress();

    private static class NativeMethods
    {
        public const int SigTerm = 15;

        [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int Kill(int pid, int signal);
    }
}
