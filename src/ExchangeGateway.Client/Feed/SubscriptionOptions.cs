namespace ExchangeGateway.Client.Feed;

/// <summary>How a subscriber opens its feed and reconnects.</summary>
public sealed class SubscriptionOptions
{
    /// <summary>For municipal organisations serving several codes: which code's feed.</summary>
    public string? MunicipalityCode { get; init; }

    /// <summary>0: every notice not yet acknowledged. N: replay from sequence N on the first connection
    /// (reconnections continue with what is unacknowledged).</summary>
    public ulong FromSequence { get; init; }

    /// <summary>How many notices may be unacknowledged at once on the stream.</summary>
    public uint MaxUnacknowledged { get; init; } = 100;

    /// <summary>First wait before reconnecting; it doubles up to <see cref="ReconnectMaxDelay"/>, with jitter.</summary>
    public TimeSpan ReconnectBaseDelay { get; init; } = TimeSpan.FromMilliseconds(200);

    public TimeSpan ReconnectMaxDelay { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The clock of the reconnect backoff (a fake one in tests).</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>How many recent notice ids are remembered to filter redelivered duplicates.</summary>
    public int DuplicateMemory { get; init; } = 100_000;
}
