namespace ExchangeGateway.EndToEnd.Fixtures;

/// <summary>A private PostgreSQL server for a test run: initdb in a temp directory, started with
/// pg_ctl on a free loopback port, removed afterwards. Uses the Debian packages (.ci/run installs
/// them); when they are missing the test fails and says so.</summary>
public sealed class PostgresServer : IAsyncLifetime
{
    private string _data = "";
    private string _binaries = "";

    public int Port { get; private set; }

    /// <summary>A connection string for <paramref name="database"/> (created by <see cref="CreateDatabaseAsync"/>).</summary>
    public string ConnectionString(string database) => $"Host=127.0.0.1;Port={Port};Username=postgres;Database={database};Pooling=true";

    public async Task InitializeAsync()
    {
        var root = "/usr/lib/postgresql";
        _binaries = Directory.Exists(root)
            ? Directory.GetDirectories(root).Select(d => Path.Combine(d, "bin")).Where(b => File.Exists(Path.Combine(b, "initdb"))).OrderDescending().FirstOrDefault() ?? ""
            : "";
        Assert.True(_binaries.Length > 0, "PostgreSQL is not installed (Debian package 'postgresql'; .ci/run installs it).");
        _data = Directory.CreateTempSubdirectory("exgw-pg-").FullName;
        if (Environment.UserName == "root")
        {
            await RunAsync("chown", "-R", "postgres:postgres", _data);
        }
        Port = GatewayProcess.FreePort();
        await RunPostgresAsync("initdb", "-D", Path.Combine(_data, "cluster"), "--auth=trust", "-U", "postgres", "--no-sync");
        await StartAsync();
    }

    /// <summary>Starts the server (again, after <see cref="StopAsync"/>) on the same port and data.</summary>
    public Task StartAsync() =>
        RunPostgresAsync("pg_ctl", "-D", Path.Combine(_data, "cluster"), "-l", Path.Combine(_data, "server.log"), "-w",
            "-o", $"-p {Port} -k {_data} -c listen_addresses=127.0.0.1 -c max_connections=200", "start");

    /// <summary>Stops the server (fast shutdown: open connections are ended), as an outage would.</summary>
    public Task StopAsync() => RunPostgresAsync("pg_ctl", "-D", Path.Combine(_data, "cluster"), "-m", "fast", "-w", "stop");

    public async Task CreateDatabaseAsync(string database) =>
        await RunPostgresAsync("psql", "-h", "127.0.0.1", "-p", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-U", "postgres", "-c", $"CREATE DATABASE {database}");

    public async Task DisposeAsync()
    {
        if (_data.Length == 0 || _binaries.Length == 0)
        {
            return;
        }
        try
        {
            await RunPostgresAsync("pg_ctl", "-D", Path.Combine(_data, "cluster"), "-m", "immediate", "stop");
        }
        finally
        {
            Directory.Delete(_data, recursive: true);
        }
    }

    private Task RunPostgresAsync(string tool, params string[] arguments) =>
        Environment.UserName == "root"
            ? RunAsync("runuser", ["-u", "postgres", "--", Path.Combine(_binaries, tool), .. arguments])
            : RunAsync(Path.Combine(_binaries, tool), arguments);

    private static async Task RunAsync(string program, params string[] arguments)
    {
        var result = await ChildProcess.RunAsync(program, arguments, Path.GetTempPath(), TimeSpan.FromSeconds(120));
        Assert.True(result.ExitCode == 0, $"{program} {string.Join(' ', arguments)} failed ({result.ExitCode}):\n{result.Output}");
    }
}
