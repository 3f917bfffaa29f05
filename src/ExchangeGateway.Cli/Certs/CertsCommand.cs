using System.CommandLine;
using ExchangeGateway.Server.Identity;

namespace ExchangeGateway.Cli.Certs;

/// <summary><c>exgw certs</c>: the development PKI.</summary>
internal static class CertsCommand
{
    public static Command Create()
    {
        var directory = new Option<string>("--dir") { Description = "Where to write them.", DefaultValueFactory = _ => "certs/dev" };
        var force = new Option<bool>("--force") { Description = "Replace an existing set." };
        var init = new Command("init", "Generate a development CA, a server certificate for localhost and 127.0.0.1, client certificates with test OINs, and the organisation registry.")
        {
            directory, force,
        };
        init.SetAction(result =>
        {
            var target = Path.GetFullPath(result.GetValue(directory)!);
            if (DevCertificateAuthority.Exists(target) && !result.GetValue(force))
            {
                Console.WriteLine($"Development certificates already exist in {target} (use --force to replace them).");
                return 0;
            }
            DevCertificateAuthority.Generate(target);
            Console.WriteLine($"Wrote development certificates to {target}:");
            Console.WriteLine($"  {DevCertificateAuthority.CaFile} (trust anchor), server.crt/.key (localhost, 127.0.0.1, ::1), {DevCertificateAuthority.RegistryFile}");
            foreach (var organisation in DevCertificateAuthority.DefaultOrganisations)
            {
                var codes = organisation.MunicipalityCodes.Count > 0 ? " serving " + string.Join(", ", organisation.MunicipalityCodes) : "";
                Console.WriteLine($"  {organisation.Id}.crt/.key  OIN {organisation.Oins[0]}  {organisation.Role}{codes}");
            }
            Console.WriteLine("Private keys (*.key) are for development only and are never committed.");
            return 0;
        });
        return new Command("certs", "Development certificates.") { init };
    }
}
