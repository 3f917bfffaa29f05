using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace ExchangeGateway.Server.Hosting;

/// <summary>A value loaded from one or more files, loaded again when any of them changes on disk.
/// The first load happens in the constructor and throws, so a gateway never starts on invalid files;
/// a later load that fails keeps the last good value and logs a warning, so a half-written or wrong
/// file never takes the gateway down. Changes are seen by comparing each file's resolved target,
/// length and last write time (symbolic links are followed, as a Kubernetes secret mount swaps them),
/// and the content of files written in the last seconds, which <see cref="FileReloader"/> does every
/// <c>Gateway:FileReloadInterval</c>.</summary>
internal sealed partial class FileBackedValue<T> : IReloadable
    where T : class
{
    /// <summary>How recent a file's last write time must be for its length and time alone not to prove
    /// it unchanged: Linux stamps files from a coarse clock (a few milliseconds), so a same-length file
    /// written again within one tick looks identical. Such a file is compared by content too, as git
    /// does for "racily clean" files.</summary>
    private static readonly TimeSpan RacyWindow = TimeSpan.FromSeconds(2);

    private readonly string _name;
    private readonly IReadOnlyList<string> _paths;
    private readonly Func<T> _load;
    private readonly ILogger _logger;
    private readonly Action<bool>? _reloaded;
    private readonly Lock _gate = new();
    private FileStamp[] _stamps;
    private volatile T _current;

    /// <param name="name">What the value is, for the log ("trust anchors and CRLs").</param>
    /// <param name="paths">The files the value is loaded from.</param>
    /// <param name="load">Reads the files; throws when they are invalid.</param>
    /// <param name="logger">Where reloads and refused files are reported.</param>
    /// <param name="reloaded">Told after each look at changed files: true when they took effect,
    /// false when they were refused (for the metrics).</param>
    public FileBackedValue(string name, IReadOnlyList<string> paths, Func<T> load, ILogger logger, Action<bool>? reloaded = null)
    {
        _reloaded = reloaded;
        _name = name;
        _paths = paths;
        _load = load;
        _logger = logger;
        // The stamps are taken before loading: a file that changes during the load is loaded again
        // on the next look.
        _stamps = Stamp(paths);
        _current = load();
    }

    /// <summary>The last value that loaded successfully.</summary>
    public T Current => _current;

    public bool Refresh()
    {
        lock (_gate)
        {
            var stamps = Stamp(_paths);
            if (Unchanged(_stamps, stamps))
            {
                return false;
            }
            // Remembered whether or not the load succeeds: an invalid file is reported once, not on
            // every tick, and loaded again as soon as it changes once more.
            _stamps = stamps;
            T loaded;
            try
            {
                loaded = _load();
            }
            catch (Exception exception) when (IsInvalidFile(exception))
            {
                LogKeptLastGood(_logger, _name, exception.GetType().Name, exception.Message);
                _reloaded?.Invoke(false);
                return false;
            }
            _current = loaded;
        }
        LogReloaded(_logger, _name);
        _reloaded?.Invoke(true);
        return true;
    }

    private static bool IsInvalidFile(Exception exception) => exception is IOException or UnauthorizedAccessException
        or InvalidDataException or CryptographicException or JsonException or FormatException or ArgumentException
        or InvalidOperationException or System.Formats.Asn1.AsnContentException;

    private static FileStamp[] Stamp(IReadOnlyList<string> paths)
    {
        var now = DateTime.UtcNow; // file times are wall-clock times, whatever clock the gateway runs on
        var stamps = new FileStamp[paths.Count];
        for (var i = 0; i < paths.Count; i++)
        {
            FileSystemInfo info = new FileInfo(paths[i]);
            if (info.LinkTarget is not null)
            {
                info = info.ResolveLinkTarget(returnFinalTarget: true) ?? info;
            }
            if (info is not FileInfo { Exists: true } file)
            {
                stamps[i] = new FileStamp(info.FullName, -1, DateTime.MinValue, null);
                continue;
            }
            var racy = now - file.LastWriteTimeUtc < RacyWindow;
            stamps[i] = new FileStamp(file.FullName, file.Length, file.LastWriteTimeUtc, racy ? Hash(file.FullName) : null);
        }
        return stamps;
    }

    private static bool Unchanged(FileStamp[] before, FileStamp[] now)
    {
        for (var i = 0; i < before.Length; i++)
        {
            var (old, current) = (before[i], now[i]);
            if (old.Target != current.Target || old.Length != current.Length || old.LastWriteUtc != current.LastWriteUtc)
            {
                return false;
            }
            if (old.ContentHash is not null
                && !old.ContentHash.AsSpan().SequenceEqual(current.ContentHash ?? Hash(current.Target)))
            {
                return false;
            }
        }
        return true;
    }

    private static byte[] Hash(string path)
    {
        try
        {
            using var stream = File.OpenRead(path);
            return SHA256.HashData(stream);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return []; // unreadable now: differs from any real hash, so the load is tried and reports why
        }
    }

    private readonly record struct FileStamp(string Target, long Length, DateTime LastWriteUtc, byte[]? ContentHash);

    [LoggerMessage(EventId = 7001, Level = LogLevel.Information, Message = "Reloaded {Name}: the new files are in effect.")]
    private static partial void LogReloaded(ILogger logger, string name);

    // The exception's message names the file and what is wrong with it; these files hold no personal data.
    [LoggerMessage(EventId = 7002, Level = LogLevel.Warning, Message = "Changed files for {Name} are invalid ({ExceptionType}: {Reason}); the last good {Name} stays in effect.")]
    private static partial void LogKeptLastGood(ILogger logger, string name, string exceptionType, string reason);
}
