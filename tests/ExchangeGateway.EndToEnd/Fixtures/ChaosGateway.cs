using ExchangeGateway.Cli.Soak;

namespace ExchangeGateway.EndToEnd.Fixtures;

/// <summary>The e2e <see cref="GatewayProcess"/> as the target of a durability run
/// (<see cref="CrashRecoveryRun"/>, shared with <c>exgw soak</c>).</summary>
internal sealed class ChaosGateway(GatewayProcess process) : IChaosGateway
{
    public Uri Address => process.Address;

    public string CertificatesDirectory => process.CertificatesDirectory;

    public string RecentOutput => process.RecentOutput;

    public string StopSignal => "SIGKILL";

    public void Kill() => process.Kill();

    public Task RestartAsync() => process.RestartAsync();
}
