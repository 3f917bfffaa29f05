using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using ExchangeGateway.Cli.Soak;

namespace ExchangeGateway.Cli.Serve;

/// <summary>How to start <see cref="GatewayProcess"/>.</summary>
public sealed record GatewayProcessOptions
{
    /// <summary>The development PKI (and organisations.json).</summary>
    public required string CertificatesDirectory { get; init; }

    /// <summary>The SQLite file, kept across restarts; its directory is the process's working directory.</summary>
    public required string DatabasePath { get; init; }

    /// <summary>A PostgreSQL connection string to use instead of the SQLite file (several processes may share it).</summary>
    public string? Postgres { get; init; }

    /// <summary>Added to the command line (e.g. "--Gateway:FileReloadInterval=00:00:00.2").</summary>
    public IReadOnlyList<string> Arguments { get; init; } = [];

    /// <summary>Added to the process's environment (e.g. the <c>OTEL_*</c> variables).</summary>
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();

    /// <summary>How long the process may take to say it listens (the machine may be busy).</summary>
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Whether <see cref="GatewayProcess.Kill"/> asks first (SIGTERM, SIGKILL after <see cref="StopTimeout"/>)
    /// instead of killing at once (SIGKILL).</summary>
    public bool Graceful { get; init; }

    public TimeSpan StopTimeout { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>A file every line the process prints is appended to.</summary>
    public string? LogPath { get; init; }

    /// <summary>Warnings and errors only: no request logs (the bench's and the soak's choice).</summary>
    public static IReadOnlyList<string> QuietLogging { get; } =
        ["--Logging:LogLevel:Default=Warning", "--Logging:LogLevel:Microsoft.Hosting.Lifetime=Warning"];

    /// <summary>Whether disposing removes the database's directory (a temporary one).</summary>
    public bool DeleteDirectoryOnDispose { get; init; }
}

/// <summary>The real gateway as a child process: <c>dotnet exgw.dll serve --dev</c> on Kestrel with mutual
/// TLS, its own free port and its own SQLite file (or a shared PostgreSQL database). It can be killed with
/// SIGKILL, stopped with SIGTERM and started again on the same database and port. The one launcher of the
/// bench, <c>exgw soak</c> and the end-to-end tests; the process itself is a <see cref="ChildProcess"/>.</summary>
public sealed partial class GatewayProcess : IChaosGateway, IAsyncDisposable
{
    /// <summary>What the lines the process wrote on standard error start with in <see cref="RecentOutput"/>.</summary>
    public const string StandardErrorPrefix = ChildProcess.StandardErrorPrefix;

    private const int KeptLines = 200;
    private const string ReadyMarker = "Exchange gateway listening on";
    private const string ManagementMarker = "Management listener on";

    private readonly GatewayProcessOptions _options;
    private readonly ProcessOutput _output;
    private ChildProcess? _process;

    private GatewayProcess(GatewayProcessOptions options)
    {
        _options = options;
        _output = new ProcessOutput(KeptLines, options.LogPath);
    }

    /// <summary>Path of exgw.dll beside this assembly (the CLI itself, or a project that references it).</summary>
    public static string ExgwPath => Path.Combine(AppContext.BaseDirectory, "exgw.dll");

    public string CertificatesDirectory => _options.CertificatesDirectory;

    public string DatabasePath => _options.DatabasePath;

    /// <summary>The port asked for on the command line (kept across restarts when possible).</summary>
    public int Port { get; private set; }

    /// <summary>The address the gateway printed when it was ready.</summary>
    public Uri Address { get; private set; } = null!;

    /// <summary>The management listener's address (probes and metrics, no client certificate).</summary>
    public Uri ManagementAddress { get; private set; } = null!;

    /// <summary>When the process was last started (a <see cref="Stopwatch"/> timestamp).</summary>
    public long StartedAt { get; private set; }

    /// <summary>When the gateway last printed that it listens (a <see cref="Stopwatch"/> timestamp).</summary>
    public long ListeningAt { get; private set; }

    public bool IsRunning => _process is { HasExited: false };

    public string StopSignal => _options.Graceful ? "SIGTERM" : "SIGKILL";

    /// <summary>The last lines the process wrote (stdout and stderr, across restarts), for failure messages.</summary>
    public string RecentOutput => _output.Text;

    /// <summary>Starts the gateway on a free loopback port and waits until it listens.</summary>
    public static async Task<GatewayProcess> StartAsync(GatewayProcessOptions options)
    {
        var gateway = new GatewayProcess(options);
        try
        {
            await gateway.LaunchAsync(FreePort());
        }
        catch
        {
            await gateway.DisposeAsync();
            throw;
        }
        return gateway;
    }

    /// <summary>Stops the process with <see cref="StopSignal"/> (SIGKILL: no graceful shutdown, nothing
    /// flushed that was not already durable) and waits until it has exited.</summary>
    public void Kill()
    {
        var process = _process;
        if (process is null)
        {
            return;
        }
        if (_options.Graceful && process.Terminate() && !process.WaitForExit(_options.StopTimeout))
        {
            _output.Add($"---- still running {_options.StopTimeout.TotalSeconds} s after SIGTERM ----");
        }
        process.Dispose();
        _process = null;
    }

    /// <summary>Asks the process to stop (SIGTERM, as a service manager or Ctrl+C does) and waits for it
    /// to exit; returns its exit code, or null if it was still running after <paramref name="timeout"/>
    /// (it is then killed). Linux only.</summary>
    public async Task<int?> TerminateAsync(TimeSpan timeout)
    {
        if (!Running.Terminate())
        {
            throw new InvalidOperationException("The gateway had exited before SIGTERM.\n" + RecentOutput);
        }
        var exitCode = await Running.TryWaitForExitAsync(timeout);
        if (exitCode is null)
        {
            _output.Add($"---- still running {timeout.TotalSeconds} s after SIGTERM ----");
        }
        Kill();
        return exitCode;
    }

    /// <summary>Starts the gateway again on the same database (and certificates), on the same port
    /// unless something else took it meanwhile.</summary>
    public async Task RestartAsync()
    {
        Kill();
        _output.Add("---- restart ----");
        try
        {
            await LaunchAsync(Port);
        }
        catch (GatewayStartException e) when (e.AddressInUse)
        {
            _output.Add("---- port taken, restarting on another port ----");
            await LaunchAsync(FreePort());
        }
    }

    /// <summary>The server's resident set size in bytes (VmRSS of /proc/&lt;pid&gt;/status).</summary>
    public long ResidentBytes()
    {
        foreach (var line in File.ReadLines($"/proc/{Running.Id}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                var kilobytes = line["VmRSS:".Length..].Trim().Split(' ')[0];
                return long.Parse(kilobytes, CultureInfo.InvariantCulture) * 1024;
            }
        }
        return 0;
    }

    /// <summary>CPU time the server has used so far (user + system, from /proc/&lt;pid&gt;/stat; 10 ms resolution).</summary>
    public TimeSpan CpuTime()
    {
        var stat = File.ReadAllText($"/proc/{Running.Id}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        return TimeSpan.FromSeconds(ticks / 100.0);
    }

    /// <summary>Stops the process (see <see cref="Kill"/>) and, if asked to, removes its directory.</summary>
    public ValueTask DisposeAsync()
    {
        Kill();
        _output.Dispose();
        if (_options.DeleteDirectoryOnDispose)
        {
            try
            {
                Directory.Delete(Path.GetDirectoryName(DatabasePath)!, recursive: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Best effort: a leftover temporary directory is harmless.
            }
        }
        return ValueTask.CompletedTask;
    }

    /// <summary>A loopback port nothing listens on right now (the OS picks it).</summary>
    public static int FreePort()
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

    private ChildProcess Running => _process ?? throw new InvalidOperationException("The gateway is not running.");

    private async Task LaunchAsync(int port)
    {
        Port = port;
        var ready = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        string[] storage = _options.Postgres is { } postgres
            ? ["--Gateway:Storage:Provider=PostgreSql", "--Gateway:Storage:ConnectionString=" + postgres]
            : ["--db", DatabasePath];
        string[] arguments = [ExgwPath, "serve", "--dev", "--certs", CertificatesDirectory, "--urls", $"https://127.0.0.1:{port}",
            "--Gateway:Management:Urls=http://127.0.0.1:0", .. storage, .. _options.Arguments];
        _output.Add($"---- dotnet {string.Join(' ', arguments)} ----");
        StartedAt = Stopwatch.GetTimestamp();
        _process = ChildProcess.Start(DotnetHost(), arguments, Path.GetDirectoryName(DatabasePath)!, _options.Environment, _output,
            line => OnLine(line, ready));
        try
        {
            var first = await Task.WhenAny(ready.Task, _process.OutputEnded).WaitAsync(_options.StartTimeout);
            if (first != ready.Task)
            {
                // Both outputs closed before the ready line: the process is gone. Say why.
                var output = RecentOutput;
                throw new GatewayStartException($"The gateway exited before it was listening.\n{output}",
                    output.Contains("address already in use", StringComparison.OrdinalIgnoreCase));
            }
            Address = new Uri(await ready.Task);
        }
        catch (TimeoutException)
        {
            Kill();
            throw new TimeoutException($"The gateway did not report '{ReadyMarker}' within {_options.StartTimeout.TotalSeconds} s.\n{RecentOutput}");
        }
        catch (GatewayStartException)
        {
            Kill();
            throw;
        }
    }

    private void OnLine(string line, TaskCompletionSource<string> ready)
    {
        // With JSON logs exgw's own messages come on standard error.
        line = line.StartsWith(StandardErrorPrefix, StringComparison.Ordinal) ? line[StandardErrorPrefix.Length..] : line;
        if (line.StartsWith(ManagementMarker, StringComparison.Ordinal) && ManagementAddressPattern().Match(line) is { Success: true } management)
        {
            ManagementAddress = new Uri(management.Value);
        }
        var index = line.IndexOf(ReadyMarker, StringComparison.Ordinal);
        if (index >= 0 && ListenAddress().Match(line, index + ReadyMarker.Length) is { Success: true } match)
        {
            ListeningAt = Stopwatch.GetTimestamp();
            ready.TrySetResult(match.Value);
        }
    }

    /// <summary>The dotnet host that runs this process (exgw runs as <c>dotnet exgw.dll</c>), or the one on
    /// PATH when this process is the exgw app host or a test host.</summary>
    private static string DotnetHost()
    {
        var self = System.Environment.ProcessPath;
        return self is not null && Path.GetFileNameWithoutExtension(self).Equals("dotnet", StringComparison.OrdinalIgnoreCase) ? self : "dotnet";
    }

    [GeneratedRegex(@"https://[^\s,]+")]
    private static partial Regex ListenAddress();

    [GeneratedRegex(@"http://[^\s,]+")]
    private static partial Regex ManagementAddressPattern();

    private sealed class GatewayStartException(string message, bool addressInUse) : Exception(message)
    {
        public bool AddressInUse { get; } = addressInUse;
    }
}
