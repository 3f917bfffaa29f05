using System.Collections.Concurrent;
using System.Globalization;
using ExchangeGateway.Contracts.V1;
using ExchangeGateway.Server.Arrivals;
using ExchangeGateway.Server.Rules;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ExchangeGateway.Server.Merges;

/// <summary>Moves every open arrival whose municipality code is closed today to the code's current
/// successor (following the chain of mergers), as the gateway itself: the old municipality is told the
/// arrival is off, the successor gets it announced, the IND learns the new municipality (see
/// <see cref="ArrivalMoves"/> for what happens to the state).
///
/// Safe to run on several instances at once and again after a crash: each arrival moves in a write of
/// its own that re-reads it and updates it on the version it read (the concurrency token), so a second
/// run either finds it already in the successor and leaves it, or loses the version check and is run
/// again by the write batcher, then finds it moved. A crash between two arrivals leaves the rest for
/// the next run.</summary>
internal sealed partial class MergedMunicipalityMoves(
    GatewayStore store,
    MunicipalityTableFile table,
    TimeProvider time,
    IOptions<GatewayOptions> options,
    ILogger<MergedMunicipalityMoves> logger)
{
    /// <summary>Arrivals read, and moved concurrently (group-committed), per round trip.</summary>
    private const int BatchSize = 100;

    private static readonly ArrivalState[] OpenStates = ArrivalLifecycle.Open;

    private readonly Caller _gateway = Caller.Gateway(options.Value.GatewayOin);

    /// <summary>Closed codes without an open successor that were already reported, so the warning
    /// is not repeated every run.</summary>
    private readonly ConcurrentDictionary<string, bool> _stranded = new(StringComparer.Ordinal);

    /// <summary>Moves what is to be moved today; returns how many arrivals this run moved.</summary>
    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        var municipalities = table.Current;
        var today = AmsterdamCalendar.Today(time);
        // A few hundred distinct codes at most, so the closed ones are picked out here rather than
        // sending the database every closed code of table 33.
        var codes = await store.ReadAsync((db, token) => db.Arrivals
            .Where(a => OpenStates.Contains(a.State))
            .Select(a => a.MunicipalityCode)
            .Distinct()
            .ToListAsync(token), cancellationToken);
        var moved = 0;
        foreach (var code in codes.Order(StringComparer.Ordinal))
        {
            var check = municipalities.Check(code, today);
            if (check.Status != MunicipalityStatus.Closed)
            {
                continue;
            }
            if (check.Successor is not { } successor)
            {
                if (_stranded.TryAdd(code, true))
                {
                    LogNoSuccessor(logger, code);
                }
                continue;
            }
            moved += await MoveAllAsync(check.Municipality!, successor, cancellationToken);
        }
        return moved;
    }

    private async Task<int> MoveAllAsync(Municipality closed, Municipality successor, CancellationToken cancellationToken)
    {
        var description = string.Create(CultureInfo.InvariantCulture,
            $"Moved from municipality {closed.Code} to {successor.Code} because the municipality merged: {closed.Code} ({closed.Name}) is closed since {closed.ValidUntil:yyyy-MM-dd} and {successor.Code} ({successor.Name}) is its current successor (RvIG table 33).");
        var reason = string.Create(CultureInfo.InvariantCulture,
            $"Municipality {closed.Code} ({closed.Name}) merged: its code is closed since {closed.ValidUntil:yyyy-MM-dd}. The arrival moved to its successor, municipality {successor.Code} ({successor.Name}).");
        var moved = 0;
        // Paged by id, so an arrival left where it is (a lost version check) is not read again and
        // again in this run; the next run looks at it afresh.
        var after = "";
        while (true)
        {
            var from = after;
            var ids = await store.ReadAsync((db, token) => db.Arrivals
                .Where(a => a.MunicipalityCode == closed.Code && OpenStates.Contains(a.State) && string.Compare(a.Id, from) > 0)
                .OrderBy(a => a.Id)
                .Select(a => a.Id)
                .Take(BatchSize)
                .ToListAsync(token), cancellationToken);
            if (ids.Count == 0)
            {
                return moved;
            }
            var results = await Task.WhenAll(ids.Select(id => TryMoveAsync(id, closed.Code, successor.Code, description, reason, cancellationToken)));
            moved += results.Count(r => r);
            after = ids[^1];
        }
    }

    private Task<bool> TryMoveAsync(string arrivalId, string from, string to, string description, string reason, CancellationToken cancellationToken) =>
        store.WriteAsync(_gateway, async write =>
        {
            var arrival = await write.Db.Arrivals.FirstOrDefaultAsync(a => a.Id == arrivalId, write.CancellationToken);
            // Read again inside the write: since it was listed it may have been moved by another
            // run or instance, or cancelled, amended or completed.
            if (arrival is null || arrival.MunicipalityCode != from || !ArrivalLifecycle.IsOpen(arrival.State))
            {
                return false;
            }
            var details = ArrivalMapping.DetailsOf(arrival);
            details.MunicipalityCode = to;
            ArrivalMoves.Move(write, arrival, from, details, description, reason);
            return true;
        }, cancellationToken);

    [LoggerMessage(EventId = 10001, Level = LogLevel.Warning, Message = "Municipality code {Code} is closed and its successor chain ends without an open municipality; its open arrivals stay where they are until the table names one.")]
    private static partial void LogNoSuccessor(ILogger logger, string code);
}
