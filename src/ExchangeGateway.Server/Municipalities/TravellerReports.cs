
namespace ExchangeGateway.Server.Municipalities;

/// <summary>What a municipality's report on the travellers of one arrival (registration, BSNs) checks
/// alike: 1 to 100 entries, each naming a traveller of that arrival once.</summary>
internal static class TravellerReports
{
    public static void ValidateEach<T>(Violations violations, string field, IList<T> items, Func<T, string> vNumberOf, Action<string, T> validate)
    {
        if (items.Count == 0)
        {
            violations.Add(field, "must hold at least one entry");
            return;
        }
        if (items.Count > 100)
        {
            violations.Add(field, "must hold at most 100 entries");
            return;
        }
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < items.Count; i++)
        {
            var at = $"{field}[{i}]";
            var vNumber = vNumberOf(items[i]);
            violations.VNumber(at + ".v_number", vNumber);
            if (vNumber.Length > 0 && !seen.Add(vNumber))
            {
                violations.Add(at + ".v_number", "appears twice in this request");
            }
            validate(at, items[i]);
        }
    }

    /// <summary>A V-number that is not a traveller of this arrival is a mistake in the request, and
    /// says nothing about other arrivals.</summary>
    public static TravellerEntity FindTraveller(ArrivalEntity arrival, string field, string vNumber) =>
        arrival.Travellers.FirstOrDefault(t => t.VNumber == vNumber)
        ?? throw GatewayErrors.InvalidArgument(field, "is not a traveller of this arrival");
}
