using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using ExchangeGateway.Client;
using ExchangeGateway.Client.Connection;
using ExchangeGateway.Client.Resilience;
using ExchangeGateway.Server.Identity;
using ExchangeGateway.Tests.Shared;

namespace ExchangeGateway.EndToEnd.Fixtures;

/// <summary>The real gateway: <c>dotnet exgw.dll serve --dev</c> as a child process on Kestrel with
/// mutual TLS, its own free port and its own SQLite file. It can be killed with SIGKILL and started
/// again on the same database.</summary>
public sealed partial class GatewayProcess : IAsyncDisposable
{
    /// <summary>How long the process may take to say it is listening (the machine may be busy).</summary>
    public static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    private const int KeptLines = 200;
    private const string ReadyMarker = "Exchange gateway listening on";
    private const string ManagementMarker = "Management listener on";

    /// <summary>What the lines the process wrote on standard error start with in <see cref="RecentOutput"/>.</summary>
    public const string StandardErrorPrefix = "stderr: ";

    private readonly Queue<string> _lines = new();
    private readonly Lock _linesGate = new();
    private Process? _process;
    private TaskCompletionSource<string>? _ready;

    private readonly string[] _storageArguments;
    private readonly IReadOnlyDictionary<string, string> _environment;

    private GatewayProcess(string certificatesDirectory, string databasePath, string? postgres, IReadOnlyList<string>? arguments, IReadOnlyDictionary<string, string>? environment)
    {
        _environment = environment ?? new Dictionary<string, string>();
        CertificatesDirectory = certificatesDirectory;
        DatabasePath = databasePath;
        _storageArguments = postgres is null
            ? ["--db", databasePath, .. arguments ?? []]
            : ["--Gateway:Storage:Provider=PostgreSql", "--Gateway:Storage:ConnectionString=" + postgres, .. arguments ?? []];
    }

    /// <summary>Where the development PKI (and organisations.json) lives.</summary>
    public string CertificatesDirectory { get; }

    /// <summary>The SQLite file; kept across <see cref="RestartAsync"/>.</summary>
    public string DatabasePath { get; }

    /// <summary>The port asked for on the command line (kept across restarts when possible).</summary>
    public int Port { get; private set; }

    /// <summary>The address the gateway printed when it was ready.</summary>
    public Uri Address { get; private set; } = null!;

    /// <summary>The management listener's address (probes and metrics, no client certificate), printed
    /// before the gateway's own.</summary>
    public Uri ManagementAddress { get; private set; } = null!;

    public bool IsRunning => _process is { HasExited: false };

    /// <summary>Path of exgw.dll, copied to this project's output by the project reference.</summary>
    public static string ExgwPath => Path.Combine(AppContext.BaseDirectory, "exgw.dll");

    /// <summary>Starts a gateway with the shared test PKI and a fresh SQLite database in its own
    /// directory, or on the PostgreSQL database <paramref name="postgres"/> (a connection string),
    /// which several gateway processes may share. <paramref name="arguments"/> are added to the
    /// command line (e.g. "--Gateway:FileReloadInterval=00:00:00.2"), <paramref name="environment"/>
    /// to its environment (e.g. the <c>OTEL_*</c> variables).</summary>
    public static async Task<GatewayProcess> StartAsync(string? certificatesDirectory = null, string? postgres = null, IReadOnlyList<string>? arguments = null,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var work = Directory.CreateTempSubdirectory("exgw-e2e-").FullName;
        var gateway = new GatewayProcess(certificatesDirectory ?? TestPki.Directory, Path.Combine(work, "gateway.db"), postgres, arguments, environment);
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

    /// <summary>The last lines the process wrote (stdout and stderr), for failure messages.</summary>
    public string RecentOutput
    {
        get
        {
            lock (_linesGate)
            {
                return string.Join(Environment.NewLine, _lines);
            }
        }
    }

    /// <summary>Kills the process at once (SIGKILL on Linux: no graceful shutdown, nothing flushed
    /// that was not already durable) and waits until it has exited.</summary>
    public void Kill()
    {
        var process = _process;
        if (process is null)
        {
            return;
        }
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
        }
        if (!process.WaitForExit(TimeSpan.FromSeconds(30)))
        {
            throw new InvalidOperationException("The gateway did not exit within 30 s of SIGKILL.\n" + RecentOutput);
        }
        process.WaitForExit(); // drains the redirected output
        process.Dispose();
        _process = null;
    }

    /// <summary>Asks the process to stop (SIGTERM, as a service manager or Ctrl+C does) and waits for
    /// it to exit; returns its exit code, or null if it was still running after <paramref name="timeout"/>
    /// (it is then killed). Linux only.</summary>
    public async Task<int?> TerminateAsync(TimeSpan timeout)
    {
        var process = _process ?? throw new InvalidOperationException("The gateway is not running.");
        if (SendSignal(process.Id, SigTerm) != 0)
        {
            throw new InvalidOperationException($"kill({process.Id}, SIGTERM) failed: errno {Marshal.GetLastPInvokeError()}");
        }
        using var deadline = new CancellationTokenSource(timeout);
        int? exitCode = null;
        try
        {
            await process.WaitForExitAsync(deadline.Token);
            process.WaitForExit();
            exitCode = process.ExitCode;
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            Append($"---- still running {timeout.TotalSeconds} s after SIGTERM ----");
        }
        Kill();
        return exitCode;
    }

    private const int SigTerm = 15;

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int SendSignal(int pid, int signal);

    /// <summary>Starts the gateway again on the same database (and certificates), on the same port
    /// unless something else took it meanwhile.</summary>
    public async Task RestartAsync()
    {
        Kill();
        Append("---- restart ----");
        try
        {
            await LaunchAsync(Port);
        }
        catch (GatewayStartException e) when (e.AddressInUse)
        {
            Append("---- port taken, restarting on another port ----");
            await LaunchAsync(FreePort());
        }
    }

    /// <summary>Connection options for an organisation of the development PKI.</summary>
    public GatewayConnectionOptions ConnectionFor(string organisationId) => GatewayConnectionOptions.FromPem(
        Address,
        DevCertificateAuthority.CertificatePath(CertificatesDirectory, organisationId),
        DevCertificateAuthority.KeyPath(CertificatesDirectory, organisationId),
        Path.Combine(CertificatesDirectory, DevCertificateAuthority.CaFile));

    /// <summary>The SDK client for an organisation, over real mutual TLS, with quick retries.</summary>
    public GatewayClient ClientFor(string organisationId) => new(ConnectionFor(organisationId), QuickRetries);

    /// <summary>Retries that give up within seconds, so a failing test fails fast.</summary>
    public static GatewayResilienceOptions QuickRetries { get; } = new()
    {
        BaseDelay = TimeSpan.FromMilliseconds(50),
        MaxDelay = TimeSpan.FromSeconds(1),
        MaxRetryAttempts = 3,
    };

    /// <summary>Kills the process and removes its database directory.</summary>
    public ValueTask DisposeAsync()
    {
        Kill();
        try
        {
            Directory.Delete(Path.GetDirectoryName(DatabasePath)!, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a leftover temp directory is harmless.
        }
        catch (UnauthorizedAccessException)
        {
        }
        return ValueTask.CompletedTask;
    }

    private async Task LaunchAsync(int port)
    {
        Port = port;
        var ready = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        _ready = ready;
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = false,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(DatabasePath)!,
        };
        string[] arguments =
        [
            ExgwPath, "serve", "--dev",
            "--certs", CertificatesDirectory,
            "--urls", $"https://127.0.0.1:{port}",
            "--Gateway:Management:Urls=http://127.0.0.1:0",
            .. _storageArguments,
        ];
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        foreach (var (name, value) in _environment)
        {
            start.Environment[name] = value;
        }

        var process = new Process { StartInfo = start };
        var openStreams = 2;
        void OnClosed()
        {
            // Both outputs closed: the process is gone. If it never got ready, say why.
            if (Interlocked.Decrement(ref openStreams) == 0)
            {
                var output = RecentOutput;
                ready.TrySetException(new GatewayStartException($"The gateway exited before it was listening.\n{output}",
                    output.Contains("address already in use", StringComparison.OrdinalIgnoreCase)));
            }
        }
        process.OutputDataReceived += (_, e) => OnLine(e.Data, ready, OnClosed);
        process.ErrorDataReceived += (_, e) => OnLine(e.Data is null ? null : StandardErrorPrefix + e.Data, ready, OnClosed);
        Append($"---- dotnet {string.Join(' ', start.ArgumentList)} ----");
        if (!process.Start())
        {
            throw new InvalidOperationException("Could not start dotnet.");
        }
        _process = process;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        try
        {
            var addresses = await ready.Task.WaitAsync(StartTimeout);
            Address = new Uri(addresses);
        }
        catch (TimeoutException)
        {
            Kill();
            throw new TimeoutException($"The gateway did not report '{ReadyMarker}' within {StartTimeout.TotalSeconds} s.\n{RecentOutput}");
        }
        catch (GatewayStartException)
        {
            Kill();
            throw;
        }
    }

    private void OnLine(string? line, TaskCompletionSource<string> ready, Action closed)
    {
        if (line is null)
        {
            closed();
            return;
        }
        Append(line);
        // With JSON logs exgw's own messages come on standard error.
        line = line.StartsWith(StandardErrorPrefix, StringComparison.Ordinal) ? line[StandardErrorPrefix.Length..] : line;
        if (line.StartsWith(ManagementMarker, StringComparison.Ordinal) && ManagementAddressPattern().Match(line) is { Success: true } management)
        {
            ManagementAddress = new Uri(management.Value);
        }
        var index = line.IndexOf(ReadyMarker, StringComparison.Ordinal);
        if (index >= 0 && ListenAddress().Match(line, index + ReadyMarker.Length) is { Success: true } match)
        {
            ready.TrySetResult(match.Value);
        }
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

    /// <summary>A port nobody listens on right now (the OS picks it).</summary>
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

    [GeneratedRegex(@"https://[^\s,]+")]
    private static partial Regex ListenAddress();

    [GeneratedRegex(@"http://[^\s,]+")]
    private static partial Regex ManagementAddressPattern();

    private sealed class GatewayStartException(string message, bool addressInUse) : Exception(message)
    {
        public bool AddressInUse { get; } = addressInUse;
    }
}

/// <summary>One gateway process shared by the tests of a class (each test uses its own case
/// references and V-numbers). Tests that kill the gateway start their own.</summary>
public sealed class GatewayProcessFixture : IAsyncLifetime
{
    private GatewayProcess? _gateway;

    public GatewayProcess Gateway => _gateway ?? throw new InvalidOperationException("Not started.");

    public async Task InitializeAsync() => _gateway = await GatewayProcess.StartAsync();

    public async Task DisposeAsync()
    {
        if (_gateway is not null)
        {
            await _gateway.DisposeAsync();
        }
    }
}
