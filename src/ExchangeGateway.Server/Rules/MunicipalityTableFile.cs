using Microsoft.Extensions.Logging;

namespace ExchangeGateway.Server.Rules;

/// <summary>The municipality table as it is on disk now. RvIG publishes a new table 33 before each
/// merger, and operators replace the file without restarting the gateway, so everything that checks
/// a code reads <see cref="Current"/> at the moment it checks (never keeps a table of its own).
/// <see cref="Refresh"/> loads the file again when its last-write time or length changed; a file that
/// does not load keeps the last good table in use.</summary>
internal sealed partial class MunicipalityTableFile
{
    private readonly string _path;
    private readonly ILogger _logger;
    private readonly Lock _refreshing = new();
    private volatile MunicipalityTable _current;
    private FileStamp _loaded;

    /// <summary>Loads the table; a missing or invalid file at start-up is an error (there is no last
    /// good table to fall back on).</summary>
    public MunicipalityTableFile(string path, ILogger<MunicipalityTableFile> logger)
    {
        _path = path;
        _logger = logger;
        _loaded = FileStamp.Of(path);
        _current = MunicipalityTable.Load(path);
    }

    public MunicipalityTable Current => _current;

    /// <summary>Loads the file again if it changed since it was last read. Returns true when a new
    /// table is now in use. An invalid or unreadable file is logged once per change and ignored.</summary>
    public bool Refresh()
    {
        lock (_refreshing)
        {
            var stamp = FileStamp.Of(_path);
            if (stamp == _loaded)
            {
                return false;
            }
            // Remember the stamp whatever the outcome: a bad file is reported once, and read again
            // only when it changes again (e.g. when the operator's copy has finished).
            _loaded = stamp;
            if (!stamp.Exists)
            {
                LogMissing(_logger, _path);
                return false;
            }
            MunicipalityTable table;
            try
            {
                table = MunicipalityTable.Load(_path);
                RequireEveryCodeOf(_current, table);
            }
            catch (Exception exception) when (exception is InvalidDataException or IOException or UnauthorizedAccessException)
            {
                // The table holds municipality codes and names only, so its error text may be logged.
                LogInvalid(_logger, _path, exception.Message);
                return false;
            }
            _current = table;
            LogReloaded(_logger, _path, table.Count);
            return true;
        }
    }

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

    /// <summary>What tells a replaced file from the one already read.</summary>
    private readonly record struct FileStamp(bool Exists, DateTime LastWriteUtc, long Length)
    {
        public static FileStamp Of(string path)
        {
            var file = new FileInfo(path);
            return file.Exists ? new FileStamp(true, file.LastWriteTimeUtc, file.Length) : new FileStamp(false, default, 0);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Municipality table reloaded from {Path}: {Rows} rows.")]
    private static partial void LogReloaded(ILogger logger, string path, int rows);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Municipality table {Path} changed but is invalid ({Problem}); the previous table stays in use.")]
    private static partial void LogInvalid(ILogger logger, string path, string problem);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Municipality table {Path} is missing; the previous table stays in use.")]
    private static partial void LogMissing(ILogger logger, string path);
}
