namespace ExchangeGateway.Server.Rules;

/// <summary>Calendar days as the chain counts them: in Europe/Amsterdam, from the gateway's
/// <see cref="TimeProvider"/> so tests can move time.</summary>
public static class AmsterdamCalendar
{
    public static readonly TimeZoneInfo Zone = TimeZoneInfo.FindSystemTimeZoneById("Europe/Amsterdam");

    public static DateOnly Today(TimeProvider time) => DateOf(time.GetUtcNow());

    public static DateOnly DateOf(DateTimeOffset instant) =>
        DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(instant, Zone).DateTime);

    /// <summary>The instant (UTC) at which <paramref name="date"/> begins in Amsterdam. Midnight always
    /// exists there: the clocks change at 02:00 and 03:00.</summary>
    public static DateTime StartOfDayUtc(DateOnly date) =>
        TimeZoneInfo.ConvertTimeToUtc(date.ToDateTime(TimeOnly.MinValue), Zone);
}
