using ExchangeGateway.Contracts.V1;
using ExchangeGateway.Server.Rules;
using Microsoft.Extensions.Options;

namespace ExchangeGateway.Server.Arrivals;

/// <summary>Checks the details COA sends with an announcement or amendment.</summary>
internal sealed class ArrivalDetailsValidator(MunicipalityTableFile municipalities, TimeProvider time, IOptions<GatewayOptions> options)
{
    /// <summary>How far ahead an expected arrival date may lie.</summary>
    private const int MaxDaysAhead = 366;

    /// <summary>How far back it may lie: a late announcement is accepted (refusing it would leave the
    /// arrival unannounced), but a date years back is a typing error.</summary>
    private const int MaxDaysBack = 366;

    public void Validate(Violations violations, string field, ArrivalDetails? details)
    {
        if (details is null)
        {
            violations.Add(field, "is required");
            return;
        }
        var today = AmsterdamCalendar.Today(time);

        if (details.Kind == ArrivalKind.Unspecified || !Enum.IsDefined(details.Kind))
        {
            violations.Add(field + ".kind", "must be one of FAMILY_REUNIFICATION, STATUS_HOLDER_HOUSING, RECEPTION_PLACEMENT");
        }
        violations.RequireText(field + ".case_reference", details.CaseReference, 64);

        var expected = violations.CompleteDate(field + ".expected_arrival_date", details.ExpectedArrivalDate);
        if (expected is { } date && (date > today.AddDays(MaxDaysAhead) || date < today.AddDays(-MaxDaysBack)))
        {
            violations.Add(field + ".expected_arrival_date", $"must lie within {MaxDaysBack} days before and {MaxDaysAhead} days after today");
        }
        ValidateMunicipality(violations, field + ".municipality_code", details.MunicipalityCode, today, expected);
        ValidateAddress(violations, field + ".destination_address", details.DestinationAddress);

        var hasReferent = details.Referent is not null;
        if (details.Kind == ArrivalKind.FamilyReunification && !hasReferent)
        {
            violations.Add(field + ".referent", "is required for family reunification");
        }
        else if (details.Kind is ArrivalKind.StatusHolderHousing or ArrivalKind.ReceptionPlacement && hasReferent)
        {
            violations.Add(field + ".referent", "must be absent unless the kind is FAMILY_REUNIFICATION");
        }
        if (details.Referent is { } referent)
        {
            violations.VNumber(field + ".referent.v_number", referent.VNumber);
            if (referent.Bsn.Length > 0 && !Identifiers.IsValidBsn(referent.Bsn))
            {
                violations.Add(field + ".referent.bsn", "must be a BSN of 9 digits that passes the 11-proef");
            }
            violations.PersonName(field + ".referent.name", referent.Name);
        }
        ValidateTravellers(violations, field, details, today);
    }

    private void ValidateMunicipality(Violations violations, string field, string code, DateOnly today, DateOnly? expected)
    {
        if (!Identifiers.IsMunicipalityCodeFormat(code))
        {
            violations.Add(field, "must be a municipality code of 4 digits (RvIG table 33)");
            return;
        }
        // One table for both dates, even if the file is replaced meanwhile.
        var table = municipalities.Current;
        foreach (var (date, what) in new[] { (today, "today"), (expected ?? today, "on the expected arrival date") }.Distinct())
        {
            var check = table.Check(code, date);
            var problem = check.Status switch
            {
                MunicipalityStatus.Unknown => $"{code} is not a municipality a person can move to (RvIG table 33)",
                MunicipalityStatus.NotYetOpen => $"{code} ({check.Municipality!.Name}) is not yet a municipality {what}",
                MunicipalityStatus.Closed when check.Successor is { } successor =>
                    $"{code} ({check.Municipality!.Name}) is closed {what}; its current successor is {successor.Code} ({successor.Name})",
                MunicipalityStatus.Closed => $"{code} ({check.Municipality!.Name}) is closed {what}",
                _ => null,
            };
            if (problem is not null)
            {
                violations.Add(field, problem);
                return;
            }
        }
    }

    private static void ValidateAddress(Violations violations, string field, Address? address)
    {
        if (address is null)
        {
            violations.Add(field, "is required");
            return;
        }
        violations.RequireText(field + ".street", address.Street, 80);
        if (address.HouseNumber is < 1 or > 99999)
        {
            violations.Add(field + ".house_number", "must be 1 to 99999");
        }
        if (address.HouseLetter.Length > 0 && (address.HouseLetter.Length != 1 || !char.IsAsciiLetter(address.HouseLetter[0])))
        {
            violations.Add(field + ".house_letter", "must be a single letter");
        }
        violations.OptionalText(field + ".house_number_addition", address.HouseNumberAddition, 4);
        if (!Identifiers.IsValidPostalCode(address.PostalCode))
        {
            violations.Add(field + ".postal_code", "must be a Dutch postal code such as 3511AB");
        }
        violations.RequireText(field + ".city", address.City, 80);
    }

    private void ValidateTravellers(Violations violations, string field, ArrivalDetails details, DateOnly today)
    {
        var max = options.Value.MaxTravellersPerArrival;
        if (details.Travellers.Count == 0)
        {
            violations.Add(field + ".travellers", "must list at least one traveller");
            return;
        }
        if (details.Travellers.Count > max)
        {
            violations.Add(field + ".travellers", $"must list at most {max} travellers");
            return;
        }
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var hasReferent = details.Referent is not null;
        for (var i = 0; i < details.Travellers.Count; i++)
        {
            var traveller = details.Travellers[i];
            var at = $"{field}.travellers[{i}]";
            violations.VNumber(at + ".v_number", traveller.VNumber);
            if (traveller.VNumber.Length > 0 && !seen.Add(traveller.VNumber))
            {
                violations.Add(at + ".v_number", "appears twice in this arrival");
            }
            if (hasReferent && traveller.VNumber.Length > 0 && traveller.VNumber == details.Referent!.VNumber)
            {
                violations.Add(at + ".v_number", "is the referent's V-number; the referent is not a traveller");
            }
            violations.PersonName(at + ".name", traveller.Name);
            violations.BirthDate(at + ".birth_date", traveller.BirthDate, today);
            if (traveller.Sex == Sex.Unspecified || !Enum.IsDefined(traveller.Sex))
            {
                violations.Add(at + ".sex", "is required (FEMALE, MALE or UNKNOWN)");
            }
            if (traveller.Nationality.Length != 3 || !traveller.Nationality.All(char.IsAsciiLetterUpper))
            {
                violations.Add(at + ".nationality", "must be an ISO 3166-1 alpha-3 code such as SYR, or XXA (stateless) or XXX (unknown)");
            }
            if (traveller.Relation == Relation.Unspecified || !Enum.IsDefined(traveller.Relation))
            {
                violations.Add(at + ".relation", "is required");
            }
            else if (hasReferent == (traveller.Relation == Relation.None))
            {
                violations.Add(at + ".relation", hasReferent
                    ? "must name the relation to the referent"
                    : "must be NONE when the arrival has no referent");
            }
        }
    }
}
