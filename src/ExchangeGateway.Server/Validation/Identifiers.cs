namespace ExchangeGateway.Server.Validation;

/// <summary>Checks of the identifiers the chain uses (see DOMAIN.md for sources).</summary>
public static class Identifiers
{
    /// <summary>BSN: 9 digits passing the 11-proef (weights 9..2 and -1), not all zeros.</summary>
    public static bool IsValidBsn(string? value)
    {
        if (!IsDigits(value, 9) || value == "000000000")
        {
            return false;
        }
        var sum = 0;
        for (var i = 0; i < 8; i++)
        {
            sum += (9 - i) * (value[i] - '0');
        }
        sum -= value[8] - '0';
        return sum % 11 == 0;
    }

    /// <summary>A-nummer: 10 digits, first not 0, no two neighbouring digits equal, digit sum mod 11
    /// is 0 or 5, and the sum of digit·2^i (i = 0..9 from the left) mod 11 is 0 (rule R1585).</summary>
    public static bool IsValidANummer(string? value)
    {
        if (!IsDigits(value, 10) || value[0] == '0')
        {
            return false;
        }
        var digitSum = 0;
        long weightedSum = 0;
        for (var i = 0; i < 10; i++)
        {
            var digit = value[i] - '0';
            if (i > 0 && value[i - 1] == value[i])
            {
                return false;
            }
            digitSum += digit;
            weightedSum += digit * (1L << i);
        }
        return digitSum % 11 is 0 or 5 && weightedSum % 11 == 0;
    }

    /// <summary>V-nummer: 10 digits. No public check digit is known, so only the format is checked.</summary>
    public static bool IsValidVNumber(string? value) => IsDigits(value, 10);

    /// <summary>OIN: 20 digits (8-digit prefix, number, suffix).</summary>
    public static bool IsValidOin(string? value) => IsDigits(value, 20);

    /// <summary>Municipality code (gemeentecode): 4 digits. Whether it is open is a table question.</summary>
    public static bool IsMunicipalityCodeFormat(string? value) => IsDigits(value, 4);

    /// <summary>Dutch postal code: four digits, the first not 0, then two capital letters; one space allowed between.</summary>
    public static bool IsValidPostalCode(string? value)
    {
        if (value is null)
        {
            return false;
        }
        var compact = value.Length == 7 && value[4] == ' ' ? string.Concat(value.AsSpan(0, 4), value.AsSpan(5)) : value;
        return compact.Length == 6
            && compact[0] is >= '1' and <= '9'
            && compact[1] is >= '0' and <= '9' && compact[2] is >= '0' and <= '9' && compact[3] is >= '0' and <= '9'
            && compact[4] is >= 'A' and <= 'Z' && compact[5] is >= 'A' and <= 'Z';
    }

    private static bool IsDigits([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] string? value, int length)
    {
        if (value is null || value.Length != length)
        {
            return false;
        }
        foreach (var c in value)
        {
            if (c is < '0' or > '9')
            {
                return false;
            }
        }
        return true;
    }
}
