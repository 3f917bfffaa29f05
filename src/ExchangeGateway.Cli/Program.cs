using System.CommandLine;
using ExchangeGateway.Cli;
using ExchangeGateway.Cli.Announce;
using ExchangeGateway.Cli.Audit;
using ExchangeGateway.Cli.Backup;
using ExchangeGateway.Cli.Bench;
using ExchangeGateway.Cli.Certs;
using ExchangeGateway.Cli.Demo;
using ExchangeGateway.Cli.OpenApi;
using ExchangeGateway.Cli.Serve;
using ExchangeGateway.Cli.Soak;
using ExchangeGateway.Cli.Status;
using ExchangeGateway.Cli.Webhooks;

var root = new RootCommand("exgw: the exchange gateway for arrivals in the Dutch asylum chain (COA, IND, municipalities).")
{
    ServeCommand.Create(),
    CertsCommand.Create(),
    DemoCommand.Create(),
    AnnounceCommand.Create(),
    StatusCommand.Create(),
    WebhooksCommand.Create(),
    BenchCommand.Create(),
    SoakCommand.Create(),
    AuditCommand.Create(),
    BackupCommand.Create(),
    OpenApiCommand.Create(),
};
return await UsageErrors.InvokeAsync(root.Parse(args));
