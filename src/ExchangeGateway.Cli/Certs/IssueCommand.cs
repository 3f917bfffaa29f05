using System.CommandLine;
using ExchangeGateway.Server.Identity;
using ExchangeGateway.Server.Validation;

namespace ExchangeGateway.Cli.Certs;

/// <summary><c>exgw certs issue</c>: a client certificate for a new organisation from the development
/// CA, and the registry entry that admits it.</summary>
internal static class IssueCommand
{
    public static Command Create()
    {
        var directory = CertsCommand.DirectoryOption();
        var id = new Option<string>("--org") { Description = "Organisation id (also the file name: <id>.crt/.key).", Required = true };
        var oin = new Option<string>("--oin") { Description = "The organisation's 20-digit OIN (test OINs start with 00000099).", Required = true };
        var name = new Option<string?>("--name") { Description = "Organisation name (default: the id)." };
        var role = new Option<OrganisationRole>("--role") { Description = "Coa, Ind, ChainCoordination or Municipality.", DefaultValueFactory = _ => OrganisationRole.Municipality };
        // The gateway's own role is the gateway's: no organisation is issued a certificate with it.
        role.AcceptOnlyFromAmong(nameof(OrganisationRole.Coa), nameof(OrganisationRole.Ind), nameof(OrganisationRole.ChainCoordination), nameof(OrganisationRole.Municipality));
        var codes = new Option<string[]>("--municipality") { Description = "Municipality code the organisation serves (repeatable; municipal organisations).", AllowMultipleArgumentsPerToken = true };
        var register = new Option<bool>("--register") { Description = "Also add the entry to the directory's organisations.json (a running gateway picks it up)." };
        var command = new Command("issue", "Issue a client certificate for a new organisation from the development CA and print its registry entry.")
        {
            directory, id, oin, name, role, codes, register,
        };
        command.SetAction(result =>
        {
            var target = Path.GetFullPath(result.GetValue(directory)!);
            var organisation = new Organisation(result.GetValue(id)!, result.GetValue(name) ?? result.GetValue(id)!,
                result.GetValue(role), [result.GetValue(oin)!], result.GetValue(codes) ?? []);
            if (!Identifiers.IsValidOin(organisation.Oins[0]))
            {
                Console.Error.WriteLine($"'{organisation.Oins[0]}' is not a valid 20-digit OIN.");
                return 2;
            }
            if (!DevCertificateAuthority.Exists(target))
            {
                Console.Error.WriteLine($"No development CA in {target}; run `exgw certs init --dir {target}` first.");
                return 2;
            }
            var registryPath = Path.Combine(target, DevCertificateAuthority.RegistryFile);
            var registry = OrganisationRegistry.Load(registryPath);
            OrganisationRegistry extended;
            try
            {
                // Validates the entry (role, codes, OIN not taken) before anything is written.
                extended = new OrganisationRegistry([.. registry.Organisations, organisation]);
            }
            catch (InvalidDataException invalid)
            {
                Console.Error.WriteLine(invalid.Message);
                return 2;
            }
            DevCertificateAuthority.IssueClient(target, organisation.Id, organisation.Name, organisation.Oins[0]);
            Console.WriteLine($"Wrote {DevCertificateAuthority.CertificatePath(target, organisation.Id)} and {DevCertificateAuthority.KeyPath(target, organisation.Id)} (OIN {organisation.Oins[0]}).");
            if (result.GetValue(register))
            {
                extended.Save(registryPath);
                Console.WriteLine($"Added to {registryPath}:");
            }
            else
            {
                Console.WriteLine($"Add this entry to the \"organisations\" list of the registry ({registryPath}, or --register does it):");
            }
            Console.WriteLine(OrganisationRegistry.EntryJson(organisation));
            return 0;
        });
        return command;
    }
}
