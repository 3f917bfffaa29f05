using System.Security.Cryptography;
using ExchangeGateway.Contracts.V1;
using ExchangeGateway.Server.Audit;

namespace ExchangeGateway.Tests.Audit;

public sealed class AuditKeyTests
{
    [Fact]
    public void Protect_SameInput_IsStableAndNeverTheIdentifier()
    {
        var key = new AuditKey(RandomNumberGenerator.GetBytes(32));

        var once = key.Protect(SubjectKind.Bsn, "999996708");

        Assert.Equal(once, key.Protect(SubjectKind.Bsn, "999996708"));
        Assert.Equal(64, once.Length);
        Assert.DoesNotContain("999996708", once, StringComparison.Ordinal);
    }

    [Fact]
    public void Protect_OtherKeyOrKind_GivesAnotherValue()
    {
        var key = new AuditKey(RandomNumberGenerator.GetBytes(32));
        var other = new AuditKey(RandomNumberGenerator.GetBytes(32));

        Assert.NotEqual(key.Protect(SubjectKind.Bsn, "111222333"), other.Protect(SubjectKind.Bsn, "111222333"));
        Assert.NotEqual(key.Protect(SubjectKind.Bsn, "1112223330"), key.Protect(SubjectKind.VNumber, "1112223330"));
    }

    [Fact]
    public void Load_ShortOrMalformedKey_IsRefused()
    {
        var path = Path.GetTempFileName();
        File.WriteAllText(path, Convert.ToBase64String(new byte[16]));
        Assert.Throws<InvalidDataException>(() => AuditKey.Load(path));
        File.WriteAllText(path, "not base64 at all!");
        Assert.Throws<InvalidDataException>(() => AuditKey.Load(path));
    }

    [Fact]
    public void CreateFileIfMissing_WritesAnOwnerOnlyKeyOnce()
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory().FullName, "audit.key");

        AuditKey.CreateFileIfMissing(path);
        var first = File.ReadAllText(path);
        AuditKey.CreateFileIfMissing(path);

        Assert.Equal(first, File.ReadAllText(path));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        }
        Assert.NotNull(AuditKey.Load(path));
    }

    [Fact]
    public void Subjects_FindEveryVNumberAndBsnAtAnyDepth()
    {
        var details = new ArrivalDetails { Referent = new Referent { VNumber = "1000000001", Bsn = "999996708" } };
        details.Travellers.Add(new TravellerDetails { VNumber = "1000000002" });
        var announced = new TravellersAnnounced();
        announced.VNumbers.Add("1000000003");

        var subjects = AuditSubjects.Of(new AnnounceArrivalRequest { Arrival = details }, announced, null);

        Assert.Equal(
            [(SubjectKind.Bsn, "999996708"), (SubjectKind.VNumber, "1000000001"), (SubjectKind.VNumber, "1000000002"), (SubjectKind.VNumber, "1000000003")],
            subjects.OrderBy(s => s.Kind).ThenBy(s => s.Identifier));
    }
}
