using ExchangeGateway.Contracts.V1;
using ExchangeGateway.Server.Rules;

namespace ExchangeGateway.Tests.Shared;

/// <summary>Valid requests to start from; each test changes what it is about.</summary>
internal static class TestArrivals
{
    private static long _vNumbers = 5_000_000_000 + (Environment.ProcessId % 100_000 * 10_000);
    private static int _bsns = Environment.ProcessId % 1000 * 1000;

    /// <summary>A V-number no other test in this process uses.</summary>
    public static string NewVNumber() => Interlocked.Increment(ref _vNumbers).ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>A BSN that passes the 11-proef and that no other test in this process uses.</summary>
    public static string NewBsn()
    {
        while (true)
        {
            var candidate = (200_000_000 + Interlocked.Increment(ref _bsns)).ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (ExchangeGateway.Server.Validation.Identifiers.IsValidBsn(candidate))
            {
                return candidate;
            }
        }
    }

    public static Date ToDate(DateOnly date) => new() { Year = date.Year, Month = date.Month, Day = date.Day };

    /// <summary>A family of <paramref name="travellers"/> joining a referent in <paramref name="municipalityCode"/>.</summary>
    public static ArrivalDetails Family(string municipalityCode = "0363", int travellers = 2, TimeProvider? time = null)
    {
        var expected = AmsterdamCalendar.Today(time ?? TimeProvider.System).AddDays(14);
        var details = new ArrivalDetails
        {
            Kind = ArrivalKind.FamilyReunification,
            MunicipalityCode = municipalityCode,
            CaseReference = "COA-T-" + Guid.NewGuid().ToString("N")[..10],
            ExpectedArrivalDate = ToDate(expected),
            DestinationAddress = new Address { Street = "Teststraat", HouseNumber = 1, PostalCode = "1011AB", City = "Amsterdam" },
            Referent = new Referent { VNumber = NewVNumber(), Name = new PersonName { GivenNames = "Referent", Surname = "Test" } },
        };
        for (var i = 0; i < travellers; i++)
        {
            details.Travellers.Add(new TravellerDetails
            {
                VNumber = NewVNumber(),
                Name = new PersonName { GivenNames = "Traveller" + i, Surname = "Test" },
                BirthDate = new Date { Year = 1990 + i },
                Sex = i % 2 == 0 ? Sex.Female : Sex.Male,
                Nationality = "SYR",
                Relation = i == 0 ? Relation.Spouse : Relation.Child,
            });
        }
        return details;
    }
}
