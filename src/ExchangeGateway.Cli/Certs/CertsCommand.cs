using System.CommandLine;
using ExchangeGateway.Server.Identity;

namespace ExchangeGateway.Cli.Certs;

/// <summary><c>exgw certs</c>: the development PKI, and rehearsing rotation and revocation with it.</summary>
internal static class CertsCommand
{
    public static Command Create() => new("certs", "Development certificates: generate, issue for a new organisation, revoke.")
    {
        Init(), IssueCommand.Create(), RevokeCommand.Create(),
    };

    /// <summary>The certificate directory option, shared by the subcommands.</summary>
    public static Option<string> DirectoryOption() =>
        new("--dir") { Description = "The development certificate directory.", DefaultValueFactory = _ => "certs/dev" };

    private static Command Init()
    {
        var directory = DirectoryOption();
        var force = new Option<bool>("--force") { Description = "Replace an existing set." };
        var init = new Command("init", "Generate a development CA with an empty CRL, a server certificate for localhost and 127.0.0.1, client certificates with test OINs, and the organisation registry.")
        {
            directory, force,
        };
        init.SetAction(result =>
        {
            var target = Path.GetFullPath(result.GetValue(directory)!);
            if (DevCertificateAuthority.Exists(target) && !result.GetValue(force))
            {
                DevCertificateAuthority.Complete(target);
                Console.WriteLine($"Development certificates already exist in {target} (use --force to replace them).");
                return 0;
            }
            DevCertificateAuthority.Generate(target);
            Console.WriteLine($"Wrote development certificates to {target}:");
            Console.WriteLine($"  {DevCertificateAuthority.CaFile} (trust anchor), {DevCertificateAuthority.CrlFile} (its CRL, empty), server.crt/.key (localhost, 127.0.0.1, ::1), {DevCertificateAuthority.GatewayClientName}.crt/.key (the gateway's client certificate for webhooks), {DevCertificateAuthority.RegistryFile}");
            foreach (var organisation in DevCertificateAuthority.DefaultOrganisations)
            {
                var codes = organisation.MunicipalityCodes.Count > 0 ? " serving " + string.Join(", ", organisation.MunicipalityCodes) : "";
                Console.WriteLine($"  {organisation.Id}.crt/.key  OIN {organisation.Oins[0]}  {organisation.Role}{codes}");
            }
            Console.WriteLine("Private keys (*.key) are for development only and are never committed.");
            Console.WriteLine("`exgw serve --dev` uses these files and reloads them when they change: try `exgw certs issue` and `exgw certs revoke`.");
            return 0;
        });
        return init;
    }
}
