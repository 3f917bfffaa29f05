using ExchangeGateway.Contracts.V1;
using ExchangeGateway.Server.Rules;

namespace ExchangeGateway.Server.Chain;

/// <summary>Collects the overview's figures per municipality code and sums them into the national
/// totals. Every list is ordered by its enum value, so answers compare and print stably.</summary>
internal sealed class OverviewRows(MunicipalityTable table)
{
    private readonly Dictionary<string, MunicipalityOverview> _byCode = new(StringComparer.Ordinal);

    /// <summary>The row of <paramref name="code"/>, named from the municipality table (empty when the
    /// table does not know the code, e.g. a code the operator's table no longer lists).</summary>
    public MunicipalityOverview For(string code)
    {
        if (!_byCode.TryGetValue(code, out var row))
        {
            row = new MunicipalityOverview { MunicipalityCode = code, Name = table.Find(code)?.Name ?? "" };
            _byCode[code] = row;
        }
        return row;
    }

    /// <summary>The rows as collected.</summary>
    public IEnumerable<MunicipalityOverview> All => _byCode.Values;

    /// <summary>Sets each row's attention, in enum order, from its figures: notices committed before
    /// <paramref name="staleBefore"/> still unacknowledged, open escalations, and the municipalities
    /// with people reported as arrived unannounced recently.</summary>
    public void MarkAttention(DateTime staleBefore, IReadOnlySet<string> recentlyUnannounced)
    {
        foreach (var row in _byCode.Values)
        {
            row.Attention.Clear();
            if (row.OpenEscalations.Any(e => e.Kind != EscalationKind.RegistrationOverdue && e.Count > 0))
            {
                row.Attention.Add(Attention.OpenEscalations);
            }
            if (row.OldestUnacknowledgedNotice is { } oldest && oldest.ToDateTime() < staleBefore)
            {
                row.Attention.Add(Attention.StaleAcknowledgement);
            }
            if (row.OpenEscalations.Any(e => e.Kind == EscalationKind.RegistrationOverdue && e.Count > 0))
            {
                row.Attention.Add(Attention.RegistrationOverdue);
            }
            if (recentlyUnannounced.Contains(row.MunicipalityCode))
            {
                row.Attention.Add(Attention.UnannouncedReported);
            }
            if (row.Feed is { LastConnected: null, LastAcknowledged: null })
            {
                row.Attention.Add(Attention.NeverConnected);
            }
        }
    }

    /// <summary>The rows by code, each list in enum order.</summary>
    public IEnumerable<MunicipalityOverview> Sorted() =>
        _byCode.Values.OrderBy(r => r.MunicipalityCode, StringComparer.Ordinal).Select(Ordered);

    /// <summary>The sum over every row: counts added per state, kind and match, and the oldest of
    /// the oldest unacknowledged notices.</summary>
    public MunicipalityOverview National()
    {
        var rows = _byCode.Values.ToList();
        var national = new MunicipalityOverview
        {
            UnacknowledgedNotices = rows.Sum(r => r.UnacknowledgedNotices),
            OldestUnacknowledgedNotice = rows
                .Where(r => r.OldestUnacknowledgedNotice is not null)
                .Select(r => r.OldestUnacknowledgedNotice)
                .MinBy(t => t.ToDateTime()),
        };
        national.ArrivalsByState.AddRange(rows.SelectMany(r => r.ArrivalsByState)
            .GroupBy(c => c.State).Select(g => new StateCount { State = g.Key, Count = g.Sum(c => c.Count) }));
        national.OpenEscalations.AddRange(rows.SelectMany(r => r.OpenEscalations)
            .GroupBy(c => c.Kind).Select(g => new EscalationCount { Kind = g.Key, Count = g.Sum(c => c.Count) }));
        national.Unannounced.AddRange(rows.SelectMany(r => r.Unannounced)
            .GroupBy(c => c.Match).Select(g => new UnannouncedCount { Match = g.Key, Count = g.Sum(c => c.Count) }));
        return Ordered(national);
    }

    private static MunicipalityOverview Ordered(MunicipalityOverview row)
    {
        var ordered = row.Clone();
        ordered.ArrivalsByState.Clear();
        ordered.ArrivalsByState.AddRange(row.ArrivalsByState.OrderBy(c => c.State));
        ordered.OpenEscalations.Clear();
        ordered.OpenEscalations.AddRange(row.OpenEscalations.OrderBy(c => c.Kind));
        ordered.Unannounced.Clear();
        ordered.Unannounced.AddRange(row.Unannounced.OrderBy(c => c.Match));
        return ordered;
    }
}
