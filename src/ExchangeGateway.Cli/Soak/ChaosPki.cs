using ExchangeGateway.Client.Connection;
using ExchangeGateway.Server.Identity;
using ExchangeGateway.Server.Rules;

namespace ExchangeGateway.Cli.Soak;

/// <summary>The development PKI of a durability run: the default organisations plus one municipal
/// organisation that serves many municipality codes, so that one certificate can open many feeds.</summary>
internal static class ChaosPki
{
    /// <summary>The municipal organisation that serves every code of the run.</summary>
    public const string MunicipalOrganisation = "brp-chaos";

    /// <summary>The first <paramref name="count"/> municipality codes that are open today and in the
    /// coming weeks (announcements expect the travellers two weeks ahead), other than the codes the
    /// default organisations serve.</summary>
    public static IReadOnlyList<string> OpenMunicipalityCodes(int count)
    {
        var table = MunicipalityTable.Load(Path.Combine(AppContext.BaseDirectory, "data", "gemeententabel.csv"));
        var today = AmsterdamCalendar.Today(TimeProvider.System);
        var taken = DevCertificateAuthority.DefaultOrganisations.SelectMany(o => o.MunicipalityCodes).ToHashSet(StringComparer.Ordinal);
        var codes = table.All
            .Select(m => m.Code)
            .Where(code => !taken.Contains(code)
                && table.Check(code, today).Status == MunicipalityStatus.Open
                && table.Check(code, today.AddDays(60)).Status == MunicipalityStatus.Open)
            .Order(StringComparer.Ordinal)
            .Take(count)
            .ToList();
        return codes.Count == count
            ? codes
            : throw new InvalidOperationException($"Only {codes.Count} open municipality codes are available; {count} were asked for.");
    }

    /// <summary>Writes the PKI and organisation registry to <paramref name="directory"/>.</summary>
    public static void Generate(string directory, IReadOnlyList<string> municipalityCodes)
    {
        var chaos = new Organisation(MunicipalOrganisation, "BRP durability runs", OrganisationRole.Municipality,
            [DevCertificateAuthority.TestOin(9001)], [.. municipalityCodes]);
        DevCertificateAuthority.Generate(directory, [.. DevCertificateAuthority.DefaultOrganisations, chaos]);
    }

    /// <summary>Connection options for an organisation of a PKI made by <see cref="Generate"/> (or
    /// by <see cref="DevCertificateAuthority.Generate"/>).</summary>
    public static GatewayConnectionOptions Connection(string directory, Uri address, string organisationId) => GatewayConnectionOptions.FromPem(
        address,
        DevCertificateAuthority.CertificatePath(directory, organisationId),
        DevCertificateAuthority.KeyPath(directory, organisationId),
        Path.Combine(directory, DevCertificateAuthority.CaFile));
}
