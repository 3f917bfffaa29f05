using ExchangeGateway.Server.Identity;

namespace ExchangeGateway.Tests.Identity;

public sealed class OrganisationRegistryTests : IDisposable
{
    private const string CoaOin = "00000099000000010000";
    private const string UtrechtOin = "00000001002220647000";

    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("exgw-registry-");

    public void Dispose() => _directory.Delete(recursive: true);

    private string Write(string json)
    {
        var path = Path.Combine(_directory.FullName, Guid.NewGuid().ToString("N") + ".json");
        File.WriteAllText(path, json);
        return path;
    }

    private static Organisation Coa(string id = "coa", params string[] oins) =>
        new(id, "COA", OrganisationRole.Coa, oins.Length > 0 ? oins : [CoaOin], []);

    private static Organisation Utrecht(params string[] codes) =>
        new("gemeente-utrecht", "Gemeente Utrecht", OrganisationRole.Municipality, [UtrechtOin], codes.Length > 0 ? codes : ["0344"]);

    [Fact]
    public void Load_ValidJson_ReadsEveryOrganisation()
    {
        var path = Write("""
            {
              // comments and trailing commas are allowed
              "organisations": [
                { "id": "coa", "name": "COA", "role": "Coa", "oins": ["00000099000000010000"] },
                { "id": "gemeente-utrecht", "name": "Gemeente Utrecht", "role": "Municipality",
                  "oins": ["00000001002220647000", "00000099000003440000"], "municipalityCodes": ["0344"] },
                { "id": "ind", "role": "ind", "oins": ["00000099000000020000"], },
              ]
            }
            """);

        var registry = OrganisationRegistry.Load(path);

        Assert.Equal(["coa", "gemeente-utrecht", "ind"], registry.Organisations.Select(o => o.Id));
        var utrecht = registry.Organisations[1];
        Assert.Equal("Gemeente Utrecht", utrecht.Name);
        Assert.Equal(OrganisationRole.Municipality, utrecht.Role);
        Assert.Equal(["00000001002220647000", "00000099000003440000"], utrecht.Oins);
        Assert.Equal(["0344"], utrecht.MunicipalityCodes);
        var ind = registry.Organisations[2];
        Assert.Equal(OrganisationRole.Ind, ind.Role);
        Assert.Equal("ind", ind.Name); // name defaults to the id
        Assert.Empty(ind.MunicipalityCodes);
    }

    [Fact]
    public void Load_DevRegistry_ReadsDefaultOrganisations()
    {
        var registry = OrganisationRegistry.Load(Shared.TestPki.RegistryPath);

        Assert.Equal(DevCertificateAuthority.DefaultOrganisations.Select(o => o.Id), registry.Organisations.Select(o => o.Id));
    }

    [Fact]
    public void FindByOin_EachOinOfAnOrganisation_FindsIt()
    {
        var path = Write("""
            { "organisations": [
                { "id": "coa", "role": "Coa", "oins": ["00000099000000010000"] },
                { "id": "gemeente-utrecht", "role": "Municipality", "oins": ["00000001002220647000", "00000099000003440000"], "municipalityCodes": ["0344"] }
            ] }
            """);
        var registry = OrganisationRegistry.Load(path);

        Assert.Equal("gemeente-utrecht", registry.FindByOin("00000001002220647000")?.Id);
        Assert.Equal("gemeente-utrecht", registry.FindByOin("00000099000003440000")?.Id);
        Assert.Equal("coa", registry.FindByOin(CoaOin)?.Id);
    }

    [Theory]
    [InlineData("00000099000000090000")]
    [InlineData("")]
    [InlineData("0000009900000001000")]
    public void FindByOin_UnknownOin_ReturnsNull(string oin)
    {
        var registry = new OrganisationRegistry([Coa(), Utrecht()]);

        Assert.Null(registry.FindByOin(oin));
    }

    [Fact]
    public void Constructor_DuplicateOinAcrossOrganisations_Throws()
    {
        var error = Assert.Throws<InvalidDataException>(() => new OrganisationRegistry(
            [Coa(), new Organisation("ind", "IND", OrganisationRole.Ind, ["00000099000000020000", CoaOin], [])]));

        Assert.Contains($"OIN {CoaOin} is listed for both 'coa' and 'ind'", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("0000009900000001000")]
    [InlineData("000000990000000100000")]
    [InlineData("0000009900000001000X")]
    [InlineData("")]
    public void Constructor_InvalidOin_Throws(string oin)
    {
        var error = Assert.Throws<InvalidDataException>(() => new OrganisationRegistry([Coa("coa", oin)]));

        Assert.Contains("is not a 20-digit OIN", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Constructor_NoOin_Throws()
    {
        var error = Assert.Throws<InvalidDataException>(() => new OrganisationRegistry(
            [new Organisation("coa", "COA", OrganisationRole.Coa, [], [])]));

        Assert.Contains("has no OIN", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Constructor_MunicipalOrganisationWithoutCodes_Throws()
    {
        var error = Assert.Throws<InvalidDataException>(() => new OrganisationRegistry(
            [new Organisation("gemeente-utrecht", "Gemeente Utrecht", OrganisationRole.Municipality, [UtrechtOin], [])]));

        Assert.Contains("serves no municipality code", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(OrganisationRole.Coa)]
    [InlineData(OrganisationRole.Ind)]
    [InlineData(OrganisationRole.ChainCoordination)]
    public void Constructor_NonMunicipalOrganisationWithCodes_Throws(OrganisationRole role)
    {
        var error = Assert.Throws<InvalidDataException>(() => new OrganisationRegistry(
            [new Organisation("x", "X", role, [CoaOin], ["0344"])]));

        Assert.Contains("is not municipal but lists municipality codes", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Constructor_DuplicateIds_Throws()
    {
        var error = Assert.Throws<InvalidDataException>(() => new OrganisationRegistry(
            [Coa("coa", CoaOin), Coa("coa", "00000099000000020000")]));

        Assert.Contains("organisation id 'coa' is listed twice", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Constructor_MissingId_Throws()
    {
        var error = Assert.Throws<InvalidDataException>(() => new OrganisationRegistry([Coa(" ")]));

        Assert.Contains("has no id", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Constructor_SeveralFaults_ReportsEveryOne()
    {
        var error = Assert.Throws<InvalidDataException>(() => new OrganisationRegistry(
            [Coa("coa", "123"), new Organisation("gemeente-x", "X", OrganisationRole.Municipality, [UtrechtOin], [])]));

        Assert.Contains("'123' is not a 20-digit OIN", error.Message, StringComparison.Ordinal);
        Assert.Contains("'gemeente-x' serves no municipality code", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{ "organisations": [ { "id": "coa", "role": "Coa", "oins": ["00000099000000010000"] }, { "id": "ind", "role": "Ind", "oins": ["00000099000000010000"] } ] }""")]
    [InlineData("""{ "organisations": [ { "id": "coa", "role": "Coa", "oins": ["1234"] } ] }""")]
    [InlineData("""{ "organisations": [ { "id": "coa", "role": "Coa" } ] }""")]
    [InlineData("""{ "organisations": [ { "id": "gemeente-utrecht", "role": "Municipality", "oins": ["00000001002220647000"] } ] }""")]
    [InlineData("""{ "organisations": [ { "id": "coa", "role": "Coa", "oins": ["00000099000000010000"], "municipalityCodes": ["0344"] } ] }""")]
    [InlineData("""{ "organisations": [ { "id": "coa", "role": "Coa", "oins": ["00000099000000010000"] }, { "id": "coa", "role": "Coa", "oins": ["00000099000000020000"] } ] }""")]
    [InlineData("null")]
    public void Load_InvalidRegistryFile_ThrowsInvalidData(string json)
    {
        Assert.Throws<InvalidDataException>(() => OrganisationRegistry.Load(Write(json)));
    }

    [Fact]
    public void Load_EntryWithoutRole_ThrowsInsteadOfDefaultingToCoa()
    {
        // Used to load as role Coa (the enum's first value), granting COA's rights to, say, an IND
        // entry whose "role" key was misspelt.
        var path = Write("""
            { "organisations": [ { "id": "ind", "name": "IND", "rol": "Ind", "oins": ["00000099000000020000"] } ] }
            """);

        var error = Assert.Throws<InvalidDataException>(() => OrganisationRegistry.Load(path));

        Assert.Contains("'ind' has no role", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_NoOrganisationsList_ThrowsInvalidData()
    {
        // Used to throw ArgumentNullException ("Parameter 'source'").
        var error = Assert.Throws<InvalidDataException>(() => OrganisationRegistry.Load(Write("""{ "organization": [] }""")));

        Assert.Contains("has no \"organisations\" list", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Save_ThenLoad_RoundTrips()
    {
        var organisations = new[]
        {
            Coa(),
            new Organisation("ind", "Immigratie- en Naturalisatiedienst", OrganisationRole.Ind, ["00000099000000020000"], []),
            new Organisation("ketenregie", "Ketenregie", OrganisationRole.ChainCoordination, ["00000099000000030000"], []),
            new Organisation("brp-drechtsteden", "Dienst Gezondheid & Jeugd / BRP \"Drechtsteden\"", OrganisationRole.Municipality,
                ["00000099000005050000", "00000001002220647000"], ["0505", "0590"]),
        };
        var path = Path.Combine(_directory.FullName, "organisations.json");

        new OrganisationRegistry(organisations).Save(path);
        var loaded = OrganisationRegistry.Load(path);

        Assert.Equal(organisations.Length, loaded.Organisations.Count);
        for (var i = 0; i < organisations.Length; i++)
        {
            Assert.Equal(organisations[i].Id, loaded.Organisations[i].Id);
            Assert.Equal(organisations[i].Name, loaded.Organisations[i].Name);
            Assert.Equal(organisations[i].Role, loaded.Organisations[i].Role);
            Assert.Equal(organisations[i].Oins, loaded.Organisations[i].Oins);
            Assert.Equal(organisations[i].MunicipalityCodes, loaded.Organisations[i].MunicipalityCodes);
        }
        Assert.Equal("brp-drechtsteden", loaded.FindByOin("00000001002220647000")?.Id);
        Assert.Contains("\"role\": \"Municipality\"", File.ReadAllText(path), StringComparison.Ordinal);
    }
}
