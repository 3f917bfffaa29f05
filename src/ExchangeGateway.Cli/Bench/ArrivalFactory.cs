using System.Globalization;
using ExchangeGateway.Client;
using ExchangeGateway.Contracts.V1;
using ExchangeGateway.Server.Rules;

namespace ExchangeGateway.Cli.Bench;

/// <summary>Valid announcements with V-numbers unique over the whole run (the gateway refuses one
/// V-number in two open arrivals) and unique case references, spread round-robin over the
/// municipalities.</summary>
internal sealed class ArrivalFactory(IReadOnlyList<BenchMunicipality> municipalities, long firstVNumber = 3_000_000_000)
{
    private readonly Date _expected = ToDate(AmsterdamCalendar.Today(TimeProvider.System).AddDays(14));
    private long _vNumbers = firstVNumber;
    private long _arrivals;

    /// <summary>A household of two joining a referent, with a case reference that identifies it in
    /// the notice the municipality receives.</summary>
    public ArrivalDetails Next(string prefix, BenchMunicipality? to = null)
    {
        var n = Interlocked.Increment(ref _arrivals);
        var municipality = to ?? municipalities[(int)(n % municipalities.Count)];
        var details = new ArrivalDetails
        {
            Kind = ArrivalKind.FamilyReunification,
            MunicipalityCode = municipality.Code,
            CaseReference = string.Create(CultureInfo.InvariantCulture, $"{prefix}-{n}"),
            ExpectedArrivalDate = _expected,
            DestinationAddress = new Address { Street = "Benchstraat", HouseNumber = (int)(n % 999) + 1, PostalCode = "3511AB", City = "Utrecht" },
            Referent = new Referent { VNumber = NextVNumber(), Name = new PersonName { GivenNames = "Referent", Surname = "Bench" } },
        };
        for (var i = 0; i < 2; i++)
        {
            details.Travellers.Add(new TravellerDetails
            {
                VNumber = NextVNumber(),
                Name = new PersonName { GivenNames = "Traveller" + i, Surname = "Bench" },
                BirthDate = new Date { Year = 1990 + i },
                Sex = i == 0 ? Sex.Female : Sex.Male,
                Nationality = "SYR",
                Relation = i == 0 ? Relation.Spouse : Relation.Child,
            });
        }
        return details;
    }

    public static AnnounceArrivalRequest Request(ArrivalDetails details) => new() { RequestId = GatewayClient.NewRequestId(), Arrival = details };

    private string NextVNumber() => Interlocked.Increment(ref _vNumbers).ToString(CultureInfo.InvariantCulture);

    private static Date ToDate(DateOnly date) => new() { Year = date.Year, Month = date.Month, Day = date.Day };
}
