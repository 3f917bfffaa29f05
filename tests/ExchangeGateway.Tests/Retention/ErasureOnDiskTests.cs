using System.Globalization;
using System.Text;
using ExchangeGateway.Contracts.V1;
using ExchangeGateway.Server.Storage;
using ExchangeGateway.Server.Validation;
using ExchangeGateway.Tests.Fixtures;
using ExchangeGateway.Tests.Shared;
using Google.Protobuf;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace ExchangeGateway.Tests.Retention;

/// <summary>Erased means gone from the files, not just from query results: SQLite leaves deleted
/// content in free space and old page images in the write-ahead log unless told otherwise. These tests
/// read the raw bytes of the database file and its -wal and -shm files.</summary>
public sealed class ErasureOnDiskTests
{
    [Fact]
    public async Task RunAsync_ClosedArrivalsPastRetention_TheirPersonalDataIsInNoFileOfTheDatabase()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var host = await RetentionSteps.StartAsync(time);
        var completedDetails = Distinctive("0363", time);
        var cancelledDetails = Distinctive("0344", time);
        var bsns = new[] { RandomBsn(), RandomBsn() };
        const string aNumber = "9376096018";
        var cancellationReason = "Reden " + Tag() + ": het gezin verhuist naar familie";
        var unannouncedVNumber = RandomVNumber();

        // The completed arrival is checkpointed into the database file; what follows stays in the log.
        var completed = await host.CompleteAsync(completedDetails, bsns, aNumber);
        Assert.True(await SqliteWal.CheckpointAndTruncateAsync(host.Services.GetRequiredService<GatewayDbContextFactory>(), CancellationToken.None));
        var cancelled = await host.AnnounceAsync(cancelledDetails);
        await host.CancelAsync(cancelled.ArrivalId, cancellationReason);
        await AddUnannouncedReportAsync(host, time, unannouncedVNumber);

        var needles = Needles(completedDetails, cancelledDetails)
            .Concat(bsns.Select(b => ("BSN", b)))
            .Append(("A-nummer", aNumber))
            .Append(("cancellation reason", cancellationReason))
            .Append(("unannounced V-number", unannouncedVNumber))
            .Select(n => (n.Item1, Bytes: Encoding.UTF8.GetBytes(n.Item2)))
            .Concat(ProtobufNeedles(completedDetails, cancelledDetails))
            .ToList();

        // Negative control: before the erase every value is in the files, so the search can find them.
        var before = Files(host.DatabasePath);
        Assert.Empty(needles.Where(n => !before.Values.Any(bytes => Contains(bytes, n.Bytes))).Select(n => n.Item1));
        Assert.True(Contains(before[".db"], Encoding.UTF8.GetBytes(completedDetails.Travellers[0].Name.Surname)), "the checkpointed arrival is in the database file");
        Assert.True(Contains(before["-wal"], Encoding.UTF8.GetBytes(cancelledDetails.Travellers[0].Name.Surname)), "the later arrival is in the log");

        time.Advance(RetentionSteps.Retention + TimeSpan.FromDays(1));
        await host.SweepAsync();

        Assert.Empty((await host.GetAsync(completed.ArrivalId)).Details.Travellers);
        Assert.Empty((await host.GetAsync(cancelled.ArrivalId)).Details.Travellers);
        var after = Files(host.DatabasePath);
        var left = needles.SelectMany(n => after.Where(f => Contains(f.Value, n.Bytes)).Select(f => $"{n.Item1} in {f.Key}")).ToList();
        Assert.True(left.Count == 0, "Still on disk after the erase: " + string.Join(", ", left));
    }

    private static string Tag() => Guid.NewGuid().ToString("N")[..10];

    private static string RandomVNumber() => Random.Shared.NextInt64(1_000_000_000, 10_000_000_000).ToString(CultureInfo.InvariantCulture);

    private static string RandomBsn()
    {
        while (true)
        {
            var candidate = Random.Shared.Next(100_000_000, 1_000_000_000).ToString(CultureInfo.InvariantCulture);
            if (Identifiers.IsValidBsn(candidate))
            {
                return candidate;
            }
        }
    }

    /// <summary>A household whose every personal value occurs nowhere else (non-ASCII letters too).</summary>
    private static ArrivalDetails Distinctive(string municipalityCode, TimeProvider time)
    {
        var details = TestArrivals.Family(municipalityCode, travellers: 2, time: time);
        details.CaseReference = "COA-DISK-" + Tag();
        details.DestinationAddress.Street = "Vlinderkade" + Tag();
        details.Referent = new Referent
        {
            VNumber = RandomVNumber(),
            Bsn = RandomBsn(),
            Name = new PersonName { GivenNames = "Referentë" + Tag(), Surname = "Haddadî" + Tag() },
        };
        foreach (var traveller in details.Travellers)
        {
            traveller.VNumber = RandomVNumber();
            traveller.Name = new PersonName { GivenNames = "Şükrü" + Tag(), Surname = "Qorvathñ" + Tag() };
            traveller.BirthDate = new Date { Year = 1987, Month = 0, Day = 0 };
        }
        return details;
    }

    private static IEnumerable<(string, string)> Needles(params ArrivalDetails[] households)
    {
        foreach (var details in households)
        {
            yield return ("case reference", details.CaseReference);
            yield return ("street", details.DestinationAddress.Street);
            yield return ("referent V-number", details.Referent.VNumber);
            yield return ("referent BSN", details.Referent.Bsn);
            yield return ("referent given names", details.Referent.Name.GivenNames);
            yield return ("referent surname", details.Referent.Name.Surname);
            foreach (var traveller in details.Travellers)
            {
                yield return ("V-number", traveller.VNumber);
                yield return ("given names", traveller.Name.GivenNames);
                yield return ("surname", traveller.Name.Surname);
            }
        }
    }

    /// <summary>The values as the stored protobuf messages carry them (length-prefixed fields).</summary>
    private static IEnumerable<(string, byte[] Bytes)> ProtobufNeedles(params ArrivalDetails[] households)
    {
        foreach (var details in households)
        {
            yield return ("address (protobuf)", details.DestinationAddress.ToByteArray());
            yield return ("referent (protobuf)", details.Referent.ToByteArray());
            foreach (var traveller in details.Travellers)
            {
                yield return ("traveller (protobuf)", traveller.ToByteArray());
                yield return ("name (protobuf)", traveller.Name.ToByteArray());
            }
        }
    }

    private static async Task AddUnannouncedReportAsync(GatewayHost host, TimeProvider time, string vNumber)
    {
        await using var db = host.Db();
        var id = Guid.NewGuid().ToString();
        var now = time.GetUtcNow().UtcDateTime;
        db.UnannouncedReports.Add(new UnannouncedReportEntity
        {
            Id = id,
            MunicipalityCode = "0363",
            ReportedBy = "gemeente-amsterdam",
            ReportedAt = now,
            ArrivedOn = DateOnly.FromDateTime(now),
            Persons = [new UnannouncedPersonEntity { ReportId = id, Position = 0, VNumber = vNumber, Match = UnannouncedMatch.NotAnnounced }],
        });
        await db.SaveChangesAsync();
    }

    /// <summary>The raw bytes of the database file and its -wal and -shm files (empty when absent),
    /// read while the gateway has them open.</summary>
    private static Dictionary<string, byte[]> Files(string databasePath) =>
        new[] { ".db", "-wal", "-shm" }.ToDictionary(suffix => suffix, suffix =>
        {
            var path = suffix == ".db" ? databasePath : databasePath + suffix;
            if (!File.Exists(path))
            {
                return [];
            }
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            return copy.ToArray();
        });

    private static bool Contains(byte[] haystack, byte[] needle) => haystack.AsSpan().IndexOf(needle) >= 0;
}
