using ExchangeGateway.Server.Identity;
using ExchangeGateway.Tests.Shared;

namespace ExchangeGateway.Tests.Identity;

public sealed class TrustMaterialTests : IDisposable
{
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("exgw-trust-");

    public void Dispose() => _directory.Delete(recursive: true);

    private string Write(string name, byte[] bytes)
    {
        var path = Path.Combine(_directory.FullName, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    [Fact]
    public void Load_CrlSignedByAnAnchor_IsTaken()
    {
        using var ca = DevCertificateAuthority.LoadCa(TestPki.Directory);
        using var coa = TestPki.Client("coa");

        var trust = TrustMaterial.Load(TestPki.CaPath, [Write("ca.crl", TestCrls.Build(ca, coa))]);

        Assert.Single(trust.RevocationLists);
    }

    [Fact]
    public void Load_CrlOfCaThatIsNoAnchor_Throws()
    {
        // Same issuer name as the anchor, but signed with the foreign CA's key: it must not count.
        using var foreign = DevCertificateAuthority.LoadCa(TestPki.ForeignDirectory);
        using var coa = TestPki.Client("coa");

        var error = Assert.Throws<InvalidDataException>(() => TrustMaterial.Load(TestPki.CaPath, [Write("foreign.crl", TestCrls.Build(foreign, coa))]));

        Assert.Contains("not signed by any of the trust anchors", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_MissingCrlFile_Throws()
    {
        Assert.Throws<FileNotFoundException>(() => TrustMaterial.Load(TestPki.CaPath, [Path.Combine(_directory.FullName, "absent.crl")]));
    }
}
