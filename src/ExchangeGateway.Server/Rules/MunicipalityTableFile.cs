using Microsoft.Extensions.Logging;

namespace ExchangeGateway.Server.Rules;

/// <summary>The municipality table as it is on disk now. RvIG publishes a new table 33 before each
/// merger, and operators replace the file without restarting the gateway, so everything that checks
/// a code reads <see cref="Current"/> at the moment it checks (never keeps a table of its own). The file
/// is watched like every other file the gateway reads (<see cref="FileBackedValue{T}"/>: a file that
/// does not load keeps the last good table in use), with one check of its own: a new table that lacks
/// a code of the one in use is refused. <see cref="Refresh"/> is called by the
/// <c>MunicipalityTableMonitor</c>, right before it moves arrivals out of closed codes.</summary>
internal sealed class MunicipalityTableFile
{
    private readonly FileBackedValue<MunicipalityTable> _table;

    /// <summary>Loads the table; a missing or invalid file at start-up is an error (there is no last
    /// good table to fall back on).</summary>
    public MunicipalityTableFile(string path, ILogger<MunicipalityTableFile> logger)
    {
        _table = new FileBackedValue<MunicipalityTable>("municipality table", [path], () =>
        {
            var table = MunicipalityTable.Load(path);
            // Null only during this constructor's first load.
            if (_table?.Current is { } inUse)
            {
                RequireEveryCodeOf(inUse, table);
            }
            return table;
        }, logger);
    }

    public MunicipalityTable Current => _table.Current;

    /// <summary>Loads the file again if it changed since it was last read. Returns true when a new
    /// table is now in use. An invalid or unreadable file is logged once per change and ignored
    /// (the table holds municipality codes and names only, so its error text may be logged).</summary>
    public bool Refresh() => _table.Refresh();

    /// <summary>Table 33 never drops a code (a closed code keeps its row, with valid_until and
    /// successor), so a new table that lacks codes is a truncated or wrong file, not a newer table.</summary>
    private static void RequireEveryCodeOf(MunicipalityTable current, MunicipalityTable replacement)
    {
        var missing = current.All.Count(m => replacement.Find(m.Code) is null);
        if (missing > 0)
        {
            throw new InvalidDataException($"it lacks {missing} code(s) of the table in use; table 33 never drops a code");
        }
    }
}
