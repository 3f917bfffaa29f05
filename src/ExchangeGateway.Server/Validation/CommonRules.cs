using ExchangeGateway.Contracts.V1;
using ExchangeGateway.Server.Rules;
using Google.Protobuf.WellKnownTypes;

namespace ExchangeGateway.Server.Validation;

/// <summary>Checks shared by several requests.</summary>
internal static class CommonRules
{
    /// <summary>request_id: 1 to 64 characters of [A-Za-z0-9._:-] (a UUID fits).</summary>
    public static void RequestId(this Violations violations, string value, string field = "request_id")
    {
        if (string.IsNullOrEmpty(value))
        {
            violations.Add(field, "is required: a client-generated id, the same on every retry of this request");
        }
        else if (value.Length > 64 || !value.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or ':' or '-'))
        {
            violations.Add(field, "must be 1 to 64 characters of A-Z, a-z, 0-9, '.', '_', ':' or '-'");
        }
    }

    /// <summary>The canonical (lower-case) form of a UUID that <see cref="ArrivalId"/> or another id rule accepted.</summary>
    public static string CanonicalId(string validated) => Guid.ParseExact(validated, "D").ToString();

    /// <summary>arrival_id: the UUID the gateway gave the arrival. Returns the canonical form.</summary>
    public static string? ArrivalId(this Violations violations, string value, string field = "arrival_id")
    {
        if (string.IsNullOrEmpty(value))
        {
            violations.Add(field, "is required");
            return null;
        }
        if (value.Length > 36 || !Guid.TryParseExact(value, "D", out var id))
        {
            violations.Add(field, "must be an arrival id as the gateway returned it (a UUID)");
            return null;
        }
        return id.ToString();
    }

    public static void VNumber(this Violations violations, string field, string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            violations.Add(field, "is required");
        }
        else if (!Identifiers.IsValidVNumber(value))
        {
            violations.Add(field, "must be a V-number of 10 digits");
        }
    }

    /// <summary>A complete date that exists. Returns it, or null after adding a violation.</summary>
    public static DateOnly? CompleteDate(this Violations violations, string field, Date? date)
    {
        if (date is null)
        {
            violations.Add(field, "is required");
            return null;
        }
        if (date.Year is < 1 or > 9999 || date.Month is < 1 or > 12 || date.Day < 1 || date.Day > DateTime.DaysInMonth(date.Year, date.Month))
        {
            violations.Add(field, "must be an existing calendar date with year, month and day");
            return null;
        }
        return new DateOnly(date.Year, date.Month, date.Day);
    }

    /// <summary>A birth date that may be partly unknown (BRP style: month and/or day 0), not in the future.</summary>
    public static void BirthDate(this Violations violations, string field, Date? date, DateOnly today)
    {
        if (date is null)
        {
            violations.Add(field, "is required; write an unknown month or day as 0");
            return;
        }
        if (date.Year < 1900 || date.Year > today.Year)
        {
            violations.Add(field + ".year", $"must be between 1900 and {today.Year}");
            return;
        }
        if (date.Month is < 0 or > 12)
        {
            violations.Add(field + ".month", "must be 1 to 12, or 0 when unknown");
            return;
        }
        if (date.Month == 0 && date.Day != 0)
        {
            violations.Add(field + ".day", "must be 0 when the month is unknown");
            return;
        }
        if (date.Day < 0 || (date.Month > 0 && date.Day > DateTime.DaysInMonth(date.Year, date.Month)))
        {
            violations.Add(field + ".day", "must be a day of the month, or 0 when unknown");
            return;
        }
        var earliest = new DateOnly(date.Year, Math.Max(date.Month, 1), Math.Max(date.Day, 1));
        if (earliest > today)
        {
            violations.Add(field, "must not be in the future");
        }
    }

    public static void PersonName(this Violations violations, string field, PersonName? name)
    {
        if (name is null)
        {
            violations.Add(field, "is required");
            return;
        }
        violations.OptionalText(field + ".given_names", name.GivenNames, 200);
        violations.OptionalText(field + ".surname_prefix", name.SurnamePrefix, 10);
        violations.RequireText(field + ".surname", name.Surname, 200);
    }

    /// <summary>An optional time at which something happened: valid, not in the future (five minutes
    /// of clock skew allowed) and within the last year.</summary>
    public static void RecentPast(this Violations violations, string field, Timestamp? timestamp, TimeProvider time)
    {
        if (timestamp is null)
        {
            return;
        }
        if (timestamp.Seconds is < 0 or > 253_402_300_799 || timestamp.Nanos is < 0 or > 999_999_999)
        {
            violations.Add(field, "is not a valid time");
        }
        else if (timestamp.ToDateTimeOffset() > time.GetUtcNow().AddMinutes(5))
        {
            violations.Add(field, "must not be in the future");
        }
        else if (AmsterdamCalendar.DateOf(timestamp.ToDateTimeOffset()) < AmsterdamCalendar.Today(time).AddYears(-1))
        {
            violations.Add(field, "must be within the last year");
        }
    }
}
