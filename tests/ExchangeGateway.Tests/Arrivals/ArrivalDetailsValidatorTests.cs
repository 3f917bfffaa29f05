using ExchangeGateway.Contracts.V1;
using ExchangeGateway.Server.Arrivals;
using ExchangeGateway.Server.Hosting;
using ExchangeGateway.Server.Rules;
using ExchangeGateway.Server.Validation;
using ExchangeGateway.Tests.Rules;
using ExchangeGateway.Tests.Shared;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace ExchangeGateway.Tests.Arrivals;

public sealed class ArrivalDetailsValidatorTests
{
    private static readonly Lazy<MunicipalityTableFile> Table = new(() => new MunicipalityTableFile(MunicipalityTableTests.ShippedPath, NullLogger<MunicipalityTableFile>.Instance));

    /// <summary>10:00 UTC, 11:00 in Amsterdam: the same calendar day in both.</summary>
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 28, 10, 0, 0, TimeSpan.Zero));

    private static readonly DateOnly Today = new(2026, 11, 28);

    private Violations Validate(ArrivalDetails? details)
    {
        var validator = new ArrivalDetailsValidator(Table.Value, _time, Options.Create(new GatewayOptions()));
        var violations = new Violations();
        validator.Validate(violations, "arrival", details);
        return violations;
    }

    private ArrivalDetails Family(int travellers = 2) => TestArrivals.Family("0363", travellers, _time);

    /// <summary>The violations name exactly <paramref name="fields"/> (once each), nothing else.</summary>
    private static void AssertFields(Violations violations, params string[] fields) =>
        Assert.Equal(fields.Order(StringComparer.Ordinal), violations.Items.Select(v => v.Field).Order(StringComparer.Ordinal));

    private static string Description(Violations violations, string field) =>
        Assert.Single(violations.Items, v => v.Field == field).Description;

    [Fact]
    public void Validate_ValidFamily_HasNoViolations()
    {
        var violations = Validate(Family());

        Assert.False(violations.Any, string.Join("; ", violations.Items.Select(v => $"{v.Field}: {v.Description}")));
    }

    [Fact]
    public void Validate_ValidStatusHolderHousingWithoutReferent_HasNoViolations()
    {
        var details = Family(1);
        details.Kind = ArrivalKind.StatusHolderHousing;
        details.Referent = null;
        details.Travellers[0].Relation = Relation.None;

        AssertFields(Validate(details));
    }

    [Fact]
    public void Validate_Null_IsRequired()
    {
        AssertFields(Validate(null), "arrival");
    }

    [Fact]
    public void Validate_KindUnspecified_ViolationOnKind()
    {
        var details = Family();
        details.Kind = ArrivalKind.Unspecified;

        AssertFields(Validate(details), "arrival.kind");
    }

    [Fact]
    public void Validate_KindNotDefined_ViolationOnKind()
    {
        var details = Family();
        details.Kind = (ArrivalKind)42;

        AssertFields(Validate(details), "arrival.kind");
    }

    [Fact]
    public void Validate_FamilyReunificationWithoutReferent_ViolationOnReferent()
    {
        var details = Family();
        details.Referent = null;
        foreach (var traveller in details.Travellers)
        {
            traveller.Relation = Relation.None;
        }

        var violations = Validate(details);

        AssertFields(violations, "arrival.referent");
        Assert.Contains("required", Description(violations, "arrival.referent"), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(ArrivalKind.StatusHolderHousing)]
    [InlineData(ArrivalKind.ReceptionPlacement)]
    public void Validate_ReferentWithOtherKind_ViolationOnReferent(ArrivalKind kind)
    {
        var details = Family();
        details.Kind = kind;

        var violations = Validate(details);

        AssertFields(violations, "arrival.referent");
        Assert.Contains("absent", Description(violations, "arrival.referent"), StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_NoTravellers_ViolationOnTravellers()
    {
        AssertFields(Validate(Family(0)), "arrival.travellers");
    }

    [Fact]
    public void Validate_25Travellers_HasNoViolations()
    {
        AssertFields(Validate(Family(25)));
    }

    [Fact]
    public void Validate_26Travellers_ViolationOnTravellers()
    {
        var violations = Validate(Family(26));

        AssertFields(violations, "arrival.travellers");
        Assert.Contains("25", Description(violations, "arrival.travellers"), StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_MaxTravellersConfigured_IsHonoured()
    {
        var validator = new ArrivalDetailsValidator(Table.Value, _time, Options.Create(new GatewayOptions { MaxTravellersPerArrival = 2 }));
        var violations = new Violations();

        validator.Validate(violations, "arrival", Family(3));

        AssertFields(violations, "arrival.travellers");
    }

    [Fact]
    public void Validate_DuplicateVNumber_ViolationOnSecondTraveller()
    {
        var details = Family(3);
        details.Travellers[2].VNumber = details.Travellers[0].VNumber;

        var violations = Validate(details);

        AssertFields(violations, "arrival.travellers[2].v_number");
        Assert.Contains("twice", Description(violations, "arrival.travellers[2].v_number"), StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_TravellerVNumberEqualsReferents_ViolationOnTravellerVNumber()
    {
        var details = Family();
        details.Travellers[1].VNumber = details.Referent.VNumber;

        var violations = Validate(details);

        AssertFields(violations, "arrival.travellers[1].v_number");
        Assert.Contains("referent", Description(violations, "arrival.travellers[1].v_number"), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("12345")]
    [InlineData("12345678901")]
    [InlineData("123456789X")]
    public void Validate_BadTravellerVNumber_ViolationOnTravellerVNumber(string vNumber)
    {
        var details = Family();
        details.Travellers[0].VNumber = vNumber;

        AssertFields(Validate(details), "arrival.travellers[0].v_number");
    }

    [Theory]
    [InlineData("")]
    [InlineData("12345")]
    public void Validate_BadReferentVNumber_ViolationOnReferentVNumber(string vNumber)
    {
        var details = Family();
        details.Referent.VNumber = vNumber;

        AssertFields(Validate(details), "arrival.referent.v_number");
    }

    [Fact]
    public void Validate_ReferentBsnFailsElfproef_ViolationOnReferentBsn()
    {
        var details = Family();
        details.Referent.Bsn = "123456789";

        AssertFields(Validate(details), "arrival.referent.bsn");
    }

    [Fact]
    public void Validate_ReferentValidBsn_HasNoViolations()
    {
        var details = Family();
        details.Referent.Bsn = TestArrivals.NewBsn();

        AssertFields(Validate(details));
    }

    [Theory]
    [InlineData(1990, 0, 0)]
    [InlineData(1990, 5, 0)]
    [InlineData(1990, 5, 31)]
    [InlineData(2000, 2, 29)]
    [InlineData(1900, 1, 1)]
    [InlineData(2026, 0, 0)]
    [InlineData(2026, 11, 0)]
    [InlineData(2026, 11, 28)]
    public void Validate_BirthDateKnownOrPartlyUnknown_HasNoViolations(int year, int month, int day)
    {
        var details = Family();
        details.Travellers[1].BirthDate = new Date { Year = year, Month = month, Day = day };

        AssertFields(Validate(details));
    }

    [Theory]
    [InlineData(1990, 0, 5, "birth_date.day")]
    [InlineData(1990, 2, 30, "birth_date.day")]
    [InlineData(1990, 4, 31, "birth_date.day")]
    [InlineData(1990, 5, -1, "birth_date.day")]
    [InlineData(1990, 13, 0, "birth_date.month")]
    [InlineData(1990, -1, 0, "birth_date.month")]
    [InlineData(1899, 1, 1, "birth_date.year")]
    [InlineData(0, 0, 0, "birth_date.year")]
    [InlineData(2027, 0, 0, "birth_date.year")]
    [InlineData(2026, 11, 29, "birth_date")]
    [InlineData(2026, 12, 0, "birth_date")]
    public void Validate_BirthDateImpossibleOrInFuture_ViolationOnBirthDatePart(int year, int month, int day, string field)
    {
        var details = Family();
        details.Travellers[1].BirthDate = new Date { Year = year, Month = month, Day = day };

        AssertFields(Validate(details), "arrival.travellers[1]." + field);
    }

    [Fact]
    public void Validate_BirthDateMissing_ViolationOnBirthDate()
    {
        var details = Family();
        details.Travellers[0].BirthDate = null;

        AssertFields(Validate(details), "arrival.travellers[0].birth_date");
    }

    [Theory]
    [InlineData("syr")]
    [InlineData("SY")]
    [InlineData("SYRI")]
    [InlineData("")]
    [InlineData("S1R")]
    public void Validate_NationalityNotAlpha3Upper_ViolationOnNationality(string nationality)
    {
        var details = Family();
        details.Travellers[0].Nationality = nationality;

        AssertFields(Validate(details), "arrival.travellers[0].nationality");
    }

    [Theory]
    [InlineData("XXA")]
    [InlineData("XXX")]
    [InlineData("ERI")]
    public void Validate_NationalityAlpha3_HasNoViolations(string nationality)
    {
        var details = Family();
        details.Travellers[0].Nationality = nationality;

        AssertFields(Validate(details));
    }

    [Theory]
    [InlineData(Sex.Unspecified)]
    [InlineData((Sex)9)]
    public void Validate_SexUnspecified_ViolationOnSex(Sex sex)
    {
        var details = Family();
        details.Travellers[1].Sex = sex;

        AssertFields(Validate(details), "arrival.travellers[1].sex");
    }

    [Fact]
    public void Validate_RelationNoneWithReferent_ViolationOnRelation()
    {
        var details = Family();
        details.Travellers[0].Relation = Relation.None;

        var violations = Validate(details);

        AssertFields(violations, "arrival.travellers[0].relation");
        Assert.Contains("relation to the referent", Description(violations, "arrival.travellers[0].relation"), StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_RelationOtherThanNoneWithoutReferent_ViolationOnRelation()
    {
        var details = Family();
        details.Kind = ArrivalKind.StatusHolderHousing;
        details.Referent = null;
        details.Travellers[0].Relation = Relation.None;

        AssertFields(Validate(details), "arrival.travellers[1].relation");
    }

    [Fact]
    public void Validate_RelationUnspecified_ViolationOnRelation()
    {
        var details = Family();
        details.Travellers[1].Relation = Relation.Unspecified;

        AssertFields(Validate(details), "arrival.travellers[1].relation");
    }

    [Fact]
    public void Validate_MissingTravellerSurname_ViolationOnSurname()
    {
        var details = Family();
        details.Travellers[1].Name.Surname = " ";

        AssertFields(Validate(details), "arrival.travellers[1].name.surname");
    }

    [Fact]
    public void Validate_ClosedMunicipality_ViolationNamesCurrentSuccessor()
    {
        var details = Family();
        details.MunicipalityCode = "0457"; // Weesp, merged into Amsterdam on 2022-03-24

        var violations = Validate(details);

        AssertFields(violations, "arrival.municipality_code");
        var description = Description(violations, "arrival.municipality_code");
        Assert.Contains("closed", description, StringComparison.Ordinal);
        Assert.Contains("0363 (Amsterdam)", description, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_ClosedMunicipalityWhoseSuccessorMergedAgain_ViolationNamesTheOpenOne()
    {
        var details = Family();
        details.MunicipalityCode = "0001"; // Adorp -> Winsum (closed 2019) -> Het Hogeland

        var description = Description(Validate(details), "arrival.municipality_code");

        Assert.Contains("1966 (Het Hogeland)", description, StringComparison.Ordinal);
        Assert.DoesNotContain("0053", description, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("0000")]
    [InlineData("1999")]
    [InlineData("9998")]
    [InlineData("363")]
    [InlineData("")]
    [InlineData("03a3")]
    public void Validate_NotAMunicipality_ViolationOnMunicipalityCode(string code)
    {
        var details = Family();
        details.MunicipalityCode = code;

        AssertFields(Validate(details), "arrival.municipality_code");
    }

    [Fact]
    public void Validate_ExpectedDate366DaysAhead_HasNoViolations()
    {
        var details = Family();
        details.ExpectedArrivalDate = TestArrivals.ToDate(Today.AddDays(366));

        AssertFields(Validate(details));
    }

    [Fact]
    public void Validate_ExpectedDate367DaysAhead_ViolationOnExpectedDate()
    {
        var details = Family();
        details.ExpectedArrivalDate = TestArrivals.ToDate(Today.AddDays(367));

        AssertFields(Validate(details), "arrival.expected_arrival_date");
    }

    [Fact]
    public void Validate_ExpectedDate366DaysBack_HasNoViolations()
    {
        var details = Family();
        details.ExpectedArrivalDate = TestArrivals.ToDate(Today.AddDays(-366));

        AssertFields(Validate(details));
    }

    [Fact]
    public void Validate_ExpectedDate367DaysBack_ViolationOnExpectedDate()
    {
        var details = Family();
        details.ExpectedArrivalDate = TestArrivals.ToDate(Today.AddDays(-367));

        AssertFields(Validate(details), "arrival.expected_arrival_date");
    }

    [Theory]
    [InlineData(2026, 12, 0)]
    [InlineData(2026, 0, 1)]
    [InlineData(2027, 2, 29)]
    public void Validate_ExpectedDateIncomplete_ViolationOnExpectedDate(int year, int month, int day)
    {
        var details = Family();
        details.ExpectedArrivalDate = new Date { Year = year, Month = month, Day = day };

        AssertFields(Validate(details), "arrival.expected_arrival_date");
    }

    [Fact]
    public void Validate_ExpectedDateMissing_ViolationOnExpectedDate()
    {
        var details = Family();
        details.ExpectedArrivalDate = null;

        AssertFields(Validate(details), "arrival.expected_arrival_date");
    }

    [Fact]
    public void Validate_TodayIsAmsterdamsDate_NotUtcs()
    {
        // 23:30 UTC on 28 November is already 29 November in Amsterdam, so 367 days after the 28th is 366 days ahead.
        _time.SetUtcNow(new DateTimeOffset(2026, 11, 28, 23, 30, 0, TimeSpan.Zero));
        var details = Family();
        details.ExpectedArrivalDate = TestArrivals.ToDate(Today.AddDays(367));

        AssertFields(Validate(details));
    }

    [Fact]
    public void Validate_CaseReferenceMissingOrTooLong_ViolationOnCaseReference()
    {
        var missing = Family();
        missing.CaseReference = "";
        var tooLong = Family();
        tooLong.CaseReference = new string('A', 65);

        AssertFields(Validate(missing), "arrival.case_reference");
        AssertFields(Validate(tooLong), "arrival.case_reference");
    }

    [Theory]
    [InlineData("0123AB", "postal_code")]
    [InlineData("3511ab", "postal_code")]
    public void Validate_BadPostalCode_ViolationOnAddressPostalCode(string postalCode, string field)
    {
        var details = Family();
        details.DestinationAddress.PostalCode = postalCode;

        AssertFields(Validate(details), "arrival.destination_address." + field);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(100000)]
    public void Validate_HouseNumberOutOfRange_ViolationOnHouseNumber(int houseNumber)
    {
        var details = Family();
        details.DestinationAddress.HouseNumber = houseNumber;

        AssertFields(Validate(details), "arrival.destination_address.house_number");
    }

    [Fact]
    public void Validate_AddressMissing_ViolationOnAddress()
    {
        var details = Family();
        details.DestinationAddress = null;

        AssertFields(Validate(details), "arrival.destination_address");
    }

    [Fact]
    public void Validate_SeveralFaults_ReportsEveryOne()
    {
        var details = Family();
        details.Kind = ArrivalKind.Unspecified;
        details.MunicipalityCode = "0457";
        details.Travellers[0].Nationality = "syr";
        details.Travellers[1].BirthDate = new Date { Year = 1990, Month = 0, Day = 5 };

        AssertFields(Validate(details), "arrival.kind", "arrival.municipality_code",
            "arrival.travellers[0].nationality", "arrival.travellers[1].birth_date.day");
    }
}
