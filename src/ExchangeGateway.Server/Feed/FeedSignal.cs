using System.Globalization;
using System.Text;

namespace ExchangeGateway.Server.Feed;

internal enum FeedSignalKind
{
    /// <summary>Notices were committed on the feed.</summary>
    Committed,

    /// <summary>Notices were acknowledged through an instance that does not deliver the feed.</summary>
    Acknowledged,

    /// <summary>Notices were redacted by retention.</summary>
    Redacted,

    /// <summary>The instance that delivered the feed let go of its lease.</summary>
    Released,
}

/// <summary>What one gateway instance tells the others about a feed (on PostgreSQL, in a NOTIFY sent
/// inside the committing transaction, so it arrives only if and when the change is committed). Where
/// there is no notification (SQL Server) the feed-head poll finds the same through
/// <c>Feeds.HeadSequence</c> and <c>Feeds.Revision</c>.</summary>
internal readonly record struct FeedSignal(FeedSignalKind Kind, string Feed, long[]? Sequences = null)
{
    /// <summary>NOTIFY payloads are at most 8,000 bytes; one is kept well below.</summary>
    public const int MaxPayload = 7_000;

    private const int SequencesPerSignal = 500;

    /// <summary>Notices committed on <paramref name="feed"/>, up to <paramref name="head"/>.</summary>
    public static FeedSignal Committed(string feed, long head) => new(FeedSignalKind.Committed, feed, [head]);

    public static FeedSignal Released(string feed) => new(FeedSignalKind.Released, feed);

    /// <summary>Sequences of one feed, in signals of a size that fits a payload.</summary>
    public static IEnumerable<FeedSignal> About(FeedSignalKind kind, string feed, IEnumerable<long> sequences) =>
        sequences.Chunk(SequencesPerSignal).Select(chunk => new FeedSignal(kind, feed, chunk));

    /// <summary>Payloads holding <paramref name="signals"/>, each under <see cref="MaxPayload"/>.</summary>
    public static IEnumerable<string> Payloads(IEnumerable<FeedSignal> signals)
    {
        var payload = new StringBuilder();
        foreach (var signal in signals)
        {
            var encoded = signal.Encode();
            if (payload.Length > 0 && payload.Length + 1 + encoded.Length > MaxPayload)
            {
                yield return payload.ToString();
                payload.Clear();
            }
            if (payload.Length > 0)
            {
                payload.Append(';');
            }
            payload.Append(encoded);
        }
        if (payload.Length > 0)
        {
            yield return payload.ToString();
        }
    }

    /// <summary>The signals of a payload; what it does not understand is skipped.</summary>
    public static IEnumerable<FeedSignal> Parse(string payload)
    {
        foreach (var part in payload.Split(';', StringSplitOptions.RemoveEmptyEntries))
        {
            var fields = part.Split('|');
            if (fields.Length < 2)
            {
                continue;
            }
            FeedSignalKind? kind = fields[0] switch
            {
                "c" => FeedSignalKind.Committed,
                "a" => FeedSignalKind.Acknowledged,
                "r" => FeedSignalKind.Redacted,
                "l" => FeedSignalKind.Released,
                _ => null,
            };
            if (kind is null)
            {
                continue;
            }
            long[]? sequences = fields.Length > 2 && fields[2].Length > 0
                ? [.. fields[2].Split(',').Select(s => long.Parse(s, CultureInfo.InvariantCulture))]
                : null;
            yield return new FeedSignal(kind.Value, fields[1], sequences);
        }
    }

    private string Encode()
    {
        var kind = Kind switch
        {
            FeedSignalKind.Committed => "c",
            FeedSignalKind.Acknowledged => "a",
            FeedSignalKind.Redacted => "r",
            _ => "l",
        };
        return Sequences is null
            ? $"{kind}|{Feed}"
            : $"{kind}|{Feed}|{string.Join(',', Sequences.Select(s => s.ToString(CultureInfo.InvariantCulture)))}";
    }
}
