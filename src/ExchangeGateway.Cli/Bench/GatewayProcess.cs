using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace ExchangeGateway.Cli.Bench;

/// <summary>The real gateway as a child process: <c>dotnet exgw.dll serve --dev</c> with the
/// benchmark PKI, a SQLite file (synchronous=FULL, as the gateway always sets it) and a port chosen
/// by the kernel, read back from the "listening on" line.</summary>
internal sealed partial class GatewayProcess : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    private readonly Process _process;
    private readonly TaskCompletionSource<Uri> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Queue<string> _recentOutput = new();
    private readonly Lock _gate = new();

    private StreamWriter? _log;

    private GatewayProcess(Process process, string? logPath)
    {
        _process = process;
        _log = logPath is null ? null : new StreamWriter(logPath, append: true) { AutoFlush = true };
    }

    /// <summary>When <see cref="Process.Start()"/> was called (a <see cref="Stopwatch"/> timestamp).</summary>
    public long StartedAt { get; private set; }

    public Uri Address { get; private set; } = null!;

    /// <summary>When the gateway printed that it listens (a <see cref="Stopwatch"/> timestamp).</summary>
    public long ListeningAt { get; private set; }

    public int Id => _process.Id;

    /// <summary>Starts the gateway and waits until it listens.</summary>
    public static async Task<GatewayProcess> StartAsync(string certificates, string database, ServerOptions options, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        // The bench's own SQLite file, or the PostgreSQL database it was given.
        string[] storage = options.Postgres is { } postgres
            ? ["--Gateway:Storage:Provider=PostgreSql", $"--Gateway:Storage:ConnectionString={postgres}"]
            : ["--db", database];
        foreach (var argument in (string[])[Path.Combine(AppContext.BaseDirectory, "exgw.dll"), "serve", "--dev", "--certs", certificates, .. storage,
            "--urls", "https://127.0.0.1:0", "--Gateway:Management:Urls=http://127.0.0.1:0", "--Logging:LogLevel:Default=Warning", "--Logging:LogLevel:Microsoft.Hosting.Lifetime=Warning",
            // Scenario 6 holds about 30 idle streams per municipal organisation, a capacity test beyond
            // what one BRP system needs (the default allows 16); --server-arg may still override it.
            "--Gateway:Limits:MaxFeedStreamsPerFeed=64",
            // The bench's one COA organisation offers more than the default 1,000 requests/s: the rate
            // limiter stays on (every call takes a token), raised above the offered load.
            "--Gateway:Limits:RequestsPerSecond=100000", "--Gateway:Limits:RequestBurst=200000"])
        {
            info.ArgumentList.Add(argument);
        }
        foreach (var argument in options.Arguments)
        {
            info.ArgumentList.Add(argument);
        }
        var gateway = new GatewayProcess(new Process { StartInfo = info, EnableRaisingEvents = true }, options.LogPath);
        gateway._process.OutputDataReceived += (_, line) => gateway.OnOutput(line.Data);
        gateway._process.ErrorDataReceived += (_, line) => gateway.OnOutput(line.Data);
        gateway._process.Exited += (_, _) => gateway._listening.TrySetException(
            new InvalidOperationException($"The gateway exited with code {gateway._process.ExitCode} before it listened:\n{gateway.RecentOutput()}"));
        gateway.StartedAt = Stopwatch.GetTimestamp();
        gateway._process.Start();
        gateway._process.BeginOutputReadLine();
        gateway._process.BeginErrorReadLine();
        try
        {
            gateway.Address = await gateway._listening.Task.WaitAsync(StartTimeout, cancellationToken);
        }
        catch
        {
            await gateway.DisposeAsync();
            throw;
        }
        return gateway;
    }

    /// <summary>The server's resident set size in bytes (VmRSS of /proc/&lt;pid&gt;/status).</summary>
    public long ResidentBytes()
    {
        foreach (var line in File.ReadLines($"/proc/{_process.Id}/status"))
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
        var stat = File.ReadAllText($"/proc/{_process.Id}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        return TimeSpan.FromSeconds(ticks / 100.0);
    }

    /// <summary>Stops the gateway as an operator would (SIGTERM, graceful shutdown), killing it if
    /// it does not exit in time.</summary>
    public async Task StopAsync()
    {
        if (_process.HasExited)
        {
            return;
        }
        try
        {
            using var kill = Process.Start(new ProcessStartInfo("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)]) { UseShellExecute = false });
            if (kill is not null)
            {
                await kill.WaitForExitAsync();
            }
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            await _process.WaitForExitAsync(timeout.Token);
        }
        catch (Exception e) when (e is OperationCanceledException or System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
    }

    public string RecentOutput()
    {
        lock (_gate)
        {
            return string.Join('\n', _recentOutput);
        }
    }

    private void OnOutput(string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (_gate)
        {
            _log?.WriteLine(line);
            _recentOutput.Enqueue(line);
            if (_recentOutput.Count > 50)
            {
                _recentOutput.Dequeue();
            }
        }
        if (ListeningLine().Match(line) is { Success: true } match)
        {
            ListeningAt = Stopwatch.GetTimestamp();
            _listening.TrySetResult(new Uri(match.Groups[1].Value));
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await StopAsync();
        }
        catch (InvalidOperationException)
        {
            // Never started.
        }
        _process.Dispose();
        lock (_gate)
        {
            _log?.Dispose();
            _log = null;
        }
    }

    [GeneratedRegex(@"Exchange gateway listening on (https://[^ ,]+)")]
    private static partial Regex ListeningLine();
}
