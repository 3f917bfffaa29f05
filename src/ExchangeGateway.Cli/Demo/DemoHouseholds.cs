using ExchangeGateway.Contracts.V1;
using ExchangeGateway.Server.Validation;

namespace ExchangeGateway.Cli.Demo;

/// <summary>Fictional households like those in the VNG letter: nareizigers joining a referent, and
/// status holders housed under the municipality's task. Names and numbers are invented.</summary>
internal static class DemoHouseholds
{
    /// <summary>The households; the last is announced only <paramref name="late"/> (short notice, as the
    /// letter complains) and one family of three needs the municipality's consent.</summary>
    public static IReadOnlyList<ArrivalDetails> Create(DateOnly expected, DateOnly late, Func<string> vNumber) =>
    [
        Family("0363", "COA-2026-1001", expected, Referent(vNumber(), "Yonas", "Tesfay"),
            Address("Kolenkitbuurt", 12, "1055AB", "Amsterdam"),
            Traveller(vNumber(), "Selam", "Tesfay", new Date { Year = 1992 }, Sex.Female, "ERI", Relation.Spouse)),
        Family("0344", "COA-2026-1002", expected, Referent(vNumber(), "Ahmad", "Al-Hassan"),
            Address("Kanaalstraat", 201, "3531CJ", "Utrecht"),
            Traveller(vNumber(), "Rasha", "Al-Hassan", new Date { Year = 1988, Month = 6 }, Sex.Female, "SYR", Relation.Spouse),
            Traveller(vNumber(), "Omar", "Al-Hassan", new Date { Year = 2015, Month = 3, Day = 12 }, Sex.Male, "SYR", Relation.Child)),
        Housing("0014", "COA-2026-1003", expected, Address("Oosterhamrikkade", 87, "9714BG", "Groningen"),
            Traveller(vNumber(), "Faisal", "Nasser", new Date { Year = 1979, Month = 11, Day = 2 }, Sex.Male, "YEM", Relation.None)),
        Family("0014", "COA-2026-1004", expected, Referent(vNumber(), "Mariam", "Haile"),
            Address("Vinkhuizen", 5, "9746AA", "Groningen"),
            Traveller(vNumber(), "Dawit", "Haile", new Date { Year = 2012 }, Sex.Male, "ERI", Relation.Child)),
        Family("0344", "COA-2026-1006", expected, Referent(vNumber(), "Hamid", "Karimi"),
            Address("Amsterdamsestraatweg", 410, "3551CW", "Utrecht"),
            Traveller(vNumber(), "Zahra", "Karimi", new Date { Year = 1990, Month = 5 }, Sex.Female, "AFG", Relation.Spouse),
            Traveller(vNumber(), "Ali", "Karimi", new Date { Year = 2014 }, Sex.Male, "AFG", Relation.Child),
            Traveller(vNumber(), "Maryam", "Karimi", new Date { Year = 2018, Month = 9, Day = 3 }, Sex.Female, "AFG", Relation.Child)),
        Housing("0363", "COA-2026-1005", late, Address("Bijlmerdreef", 1001, "1103AA", "Amsterdam"),
            Traveller(vNumber(), "Hawa", "Ahmed", new Date { Year = 1996, Month = 1, Day = 20 }, Sex.Female, "SOM", Relation.None)),
    ];

    /// <summary>A BSN that passes the 11-proef, derived from <paramref name="seed"/>.</summary>
    public static string Bsn(int seed)
    {
        for (var candidate = 100_000_000 + (seed * 97); ; candidate++)
        {
            var text = candidate.ToString("D9", System.Globalization.CultureInfo.InvariantCulture);
            if (Identifiers.IsValidBsn(text))
            {
                return text;
            }
        }
    }

    /// <summary>An A-nummer that passes rule R1585, derived from <paramref name="seed"/>.</summary>
    public static string ANummer(int seed)
    {
        for (var candidate = 1_010_101_010L + (seed * 7919L); ; candidate++)
        {
            var text = candidate.ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (Identifiers.IsValidANummer(text))
            {
                return text;
            }
        }
    }

    private static ArrivalDetails Family(string code, string reference, DateOnly expected, Referent referent, Address address, params TravellerDetails[] travellers) =>
        Details(ArrivalKind.FamilyReunification, code, reference, expected, referent, address, travellers);

    private static ArrivalDetails Housing(string code, string reference, DateOnly expected, Address address, params TravellerDetails[] travellers) =>
        Details(ArrivalKind.StatusHolderHousing, code, reference, expected, null, address, travellers);

    private static ArrivalDetails Details(ArrivalKind kind, string code, string reference, DateOnly expected, Referent? referent, Address address, TravellerDetails[] travellers)
    {
        var details = new ArrivalDetails
        {
            Kind = kind,
            MunicipalityCode = code,
            CaseReference = reference,
            ExpectedArrivalDate = new Date { Year = expected.Year, Month = expected.Month, Day = expected.Day },
            DestinationAddress = address,
            Referent = referent,
        };
        details.Travellers.AddRange(travellers);
        return details;
    }

    private static Referent Referent(string vNumber, string given, string surname) =>
        new() { VNumber = vNumber, Name = new PersonName { GivenNames = given, Surname = surname } };

    private static Address Address(string street, int number, string postalCode, string city) =>
        new() { Street = street, HouseNumber = number, PostalCode = postalCode, City = city };

    private static TravellerDetails Traveller(string vNumber, string given, string surname, Date birth, Sex sex, string nationality, Relation relation) =>
        new()
        {
            VNumber = vNumber,
            Name = new PersonName { GivenNames = given, Surname = surname },
            BirthDate = birth,
            Sex = sex,
            Nationality = nationality,
            Relation = relation,
        };
}
