using System.CommandLine;
using ExchangeGateway.Server.Identity;

namespace ExchangeGateway.Cli.Certs;

/// <summary><c>exgw certs revoke</c>: puts a certificate on the development CA's CRL.</summary>
internal static class RevokeCommand
{
    public static Command Create()
    {
        var directory = CertsCommand.DirectoryOption();
        var certificate = new Argument<string>("certificate") { Description = "The certificate (PEM) to revoke, e.g. certs/dev/gemeente-utrecht.crt." };
        var command = new Command("revoke", "Add a certificate's serial number to the development CA's CRL (ca.crl), signed anew; a running gateway refuses it within its reload interval.")
        {
            certificate, directory,
        };
        command.SetAction(result =>
        {
            var target = Path.GetFullPath(result.GetValue(directory)!);
            var path = result.GetValue(certificate)!;
            if (!File.Exists(path))
            {
                Console.Error.WriteLine($"{path} does not exist.");
                return 2;
            }
            string? serial;
            try
            {
                serial = DevCertificateAuthority.Revoke(target, path);
            }
            catch (Exception exception) when (exception is InvalidOperationException or IOException or System.Security.Cryptography.CryptographicException)
            {
                Console.Error.WriteLine(exception.Message);
                return 2;
            }
            var crl = Path.Combine(target, DevCertificateAuthority.CrlFile);
            Console.WriteLine(serial is null
                ? $"{path} is already on {crl}."
                : $"Revoked serial {serial}: {crl} now lists it.");
            return 0;
        });
        return command;
    }
}
