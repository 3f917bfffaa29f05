using System.Text.Json;
using ExchangeGateway.Server.Validation;

namespace ExchangeGateway.Tests.Validation;

public sealed class IdentifiersTests
{
    private static readonly Lazy<JsonDocument> Vectors = new(() =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "identifier-test-vectors.json"))));

    /// <summary>Every string of <c>vectors[section][group]</c>, one theory row each.</summary>
    private static TheoryData<string> Vector(string section, params string[] groups)
    {
        var data = new TheoryData<string>();
        foreach (var group in groups)
        {
            foreach (var value in Vectors.Value.RootElement.GetProperty(section).GetProperty(group).EnumerateArray())
            {
                data.Add(value.GetString()!);
            }
        }
        return data;
    }

    public static TheoryData<string> ValidBsns => Vector("bsn", "valid_examples");

    public static TheoryData<string> InvalidBsns => Vector("bsn", "invalid_examples");

    public static TheoryData<string> ValidANummers => Vector("anummer", "valid_examples");

    public static TheoryData<string> InvalidANummers => Vector("anummer", "invalid_divisibility", "invalid_adjacent_equal", "invalid_other");

    [Fact]
    public void Vectors_File_HoldsEveryGroup()
    {
        // Guards the theories below against a renamed or emptied group, which would make them pass vacuously.
        Assert.Equal(9, ValidBsns.Count);
        Assert.Equal(2, InvalidBsns.Count);
        Assert.Equal(12, ValidANummers.Count);
        Assert.Equal(21, InvalidANummers.Count);
    }

    [Theory]
    [MemberData(nameof(ValidBsns))]
    public void IsValidBsn_TestVectorValid_ReturnsTrue(string bsn) => Assert.True(Identifiers.IsValidBsn(bsn));

    [Theory]
    [MemberData(nameof(InvalidBsns))]
    public void IsValidBsn_TestVectorInvalid_ReturnsFalse(string bsn) => Assert.False(Identifiers.IsValidBsn(bsn));

    [Theory]
    [InlineData("000000000")]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("99999670")]
    [InlineData("9999967080")]
    [InlineData("99999670X")]
    [InlineData("99999 670")]
    [InlineData(" 99999670")]
    [InlineData("-99999670")]
    [InlineData("٩٩٩٩٩٦٧٠٨")] // Arabic-Indic digits are digits to char.IsDigit, not to the BSN
    public void IsValidBsn_ZerosNonDigitsOrWrongLength_ReturnsFalse(string? bsn) => Assert.False(Identifiers.IsValidBsn(bsn));

    [Fact]
    public void IsValidBsn_LastDigitWeightedMinusOne_AcceptsOnlyTheMatchingCheckDigit()
    {
        // 99999670x: only x = 8 satisfies the 11-proef.
        var valid = Enumerable.Range(0, 10).Where(d => Identifiers.IsValidBsn("99999670" + d)).ToArray();

        Assert.Equal([8], valid);
    }

    [Theory]
    [MemberData(nameof(ValidANummers))]
    public void IsValidANummer_TestVectorValid_ReturnsTrue(string aNummer) => Assert.True(Identifiers.IsValidANummer(aNummer));

    [Theory]
    [MemberData(nameof(InvalidANummers))]
    public void IsValidANummer_TestVectorInvalid_ReturnsFalse(string aNummer) => Assert.False(Identifiers.IsValidANummer(aNummer));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("93760960180")]
    [InlineData("937609601X")]
    public void IsValidANummer_NonDigitsOrWrongLength_ReturnsFalse(string? aNummer) => Assert.False(Identifiers.IsValidANummer(aNummer));

    [Theory]
    [InlineData("7896208406")]
    [InlineData("2808239605")]
    [InlineData("1270431723")]
    public void IsValidANummer_WeightedSumDivisibleButDigitSumNot0Or5Mod11_ReturnsFalse(string aNummer)
    {
        // Neighbouring digits differ and sum(digit * 2^i) mod 11 = 0; only the digit-sum rule rejects these
        // (the JSON vectors hold no such case).
        Assert.False(Identifiers.IsValidANummer(aNummer));
    }

    [Theory]
    [InlineData("0000000000")]
    [InlineData("1234567890")]
    [InlineData("5000000000")]
    public void IsValidVNumber_TenDigits_ReturnsTrue(string vNumber) => Assert.True(Identifiers.IsValidVNumber(vNumber));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("123456789")]
    [InlineData("12345678901")]
    [InlineData("12345678a0")]
    [InlineData("V123456789")]
    public void IsValidVNumber_NonDigitsOrWrongLength_ReturnsFalse(string? vNumber) => Assert.False(Identifiers.IsValidVNumber(vNumber));

    [Theory]
    [InlineData("00000001002220647000")] // Gemeente Utrecht
    [InlineData("00000099000000010000")] // test OIN
    public void IsValidOin_TwentyDigits_ReturnsTrue(string oin) => Assert.True(Identifiers.IsValidOin(oin));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("0000000100222064700")]
    [InlineData("000000010022206470000")]
    [InlineData("0000000100222064700A")]
    [InlineData("00000001 002220647000")]
    public void IsValidOin_NotTwentyDigits_ReturnsFalse(string? oin) => Assert.False(Identifiers.IsValidOin(oin));

    [Theory]
    [InlineData("0014", true)]
    [InlineData("0363", true)]
    [InlineData("363", false)]
    [InlineData("00363", false)]
    [InlineData("03a3", false)]
    [InlineData("", false)]
    [InlineData(null, false)]
    public void IsMunicipalityCodeFormat_Value_ChecksFourDigits(string? code, bool expected) =>
        Assert.Equal(expected, Identifiers.IsMunicipalityCodeFormat(code));

    [Theory]
    [InlineData("3511AB")]
    [InlineData("3511 AB")]
    [InlineData("1011AB")]
    [InlineData("9999ZZ")]
    public void IsValidPostalCode_DutchPostalCode_ReturnsTrue(string postalCode) => Assert.True(Identifiers.IsValidPostalCode(postalCode));

    [Theory]
    [InlineData("0123AB")]
    [InlineData("3511ab")]
    [InlineData("3511aB")]
    [InlineData("3511A")]
    [InlineData("351AB")]
    [InlineData("3511ABC")]
    [InlineData("3511  AB")]
    [InlineData("3511-AB")]
    [InlineData(" 3511AB")]
    [InlineData("3511AB ")]
    [InlineData("AB3511")]
    [InlineData("35X1AB")]
    [InlineData("")]
    [InlineData(null)]
    public void IsValidPostalCode_NotADutchPostalCode_ReturnsFalse(string? postalCode) => Assert.False(Identifiers.IsValidPostalCode(postalCode));
}
