namespace ExchangeGateway.Cli.Serve;

/// <summary>The lines a child process printed, kept for failure messages: all of them, or the last
/// <c>keptLines</c>; each also appended to <c>logPath</c> when one is given. One instance may outlive
/// several processes (a gateway restarted on the same database keeps one story).</summary>
public sealed class ProcessOutput(int keptLines = int.MaxValue, string? logPath = null) : IDisposable
{
    private readonly Queue<string> _lines = new();
    private readonly Lock _gate = new();
    private StreamWriter? _log = logPath is null ? null : new StreamWriter(logPath, append: true) { AutoFlush = true };

    public string Text
    {
        get
        {
            lock (_gate)
            {
                return string.Join(Environment.NewLine, _lines);
            }
        }
    }

    public void Add(string line)
    {
        lock (_gate)
        {
            _log?.WriteLine(line);
            _lines.Enqueue(line);
            while (_lines.Count > keptLines)
            {
                _lines.Dequeue();
            }
        }
    }

    /// <summary>Closes the log file; lines added later are kept in memory only.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            _log?.Dispose();
            _log = null;
        }
    }
}
