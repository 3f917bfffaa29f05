namespace ExchangeGateway.Cli.Soak;

/// <summary>A gateway process a durability run may kill: <c>exgw serve</c> as a child process on its
/// own SQLite file.</summary>
internal interface IChaosGateway
{
    /// <summary>Where the gateway listens; the same after a restart unless its port was taken.</summary>
    Uri Address { get; }

    /// <summary>Where its development certificates and organisation registry are.</summary>
    string CertificatesDirectory { get; }

    /// <summary>The last lines it printed, for failure messages.</summary>
    string RecentOutput { get; }

    /// <summary>How <see cref="Kill"/> stops it: "SIGKILL", or "SIGTERM" for a graceful stop.</summary>
    string StopSignal { get; }

    /// <summary>Stops the process with <see cref="StopSignal"/> (SIGKILL: no graceful shutdown at all);
    /// returns once it has exited.</summary>
    void Kill();

    /// <summary>Starts it again on the same database and port; returns once it listens.</summary>
    Task RestartAsync();
}
