namespace ExchangeGateway.Cli.Bench;

/// <summary>How much work each scenario does: full mode for the README figures, quick mode for a
/// CI smoke test that only proves the suite works.</summary>
internal sealed record BenchProfile
{
    public required string Mode { get; init; }

    /// <summary>The scenarios to run (see <see cref="BenchRunner.ScenarioNames"/>); empty: all.</summary>
    public IReadOnlyList<string> Only { get; init; } = [];

    public bool Runs(string scenario) => Only.Count == 0 || Only.Contains(scenario);

    /// <summary>How many of the municipalities are announced to and subscribed (null: all 342).</summary>
    public int? Municipalities { get; init; }

    /// <summary>Concurrent callers of the baseline and announce steps.</summary>
    public IReadOnlyList<int> Concurrencies { get; init; } = [1, 16, 64, 256];

    /// <summary>Runs of each throughput step; the median is reported.</summary>
    public required int StepRuns { get; init; }

    public required TimeSpan StepWarmup { get; init; }

    /// <summary>Load before anything is measured, so the server runs optimised code: .NET starts
    /// methods unoptimised and recompiles the hot ones in the background (tiered compilation), which
    /// on a busy 2-core machine takes tens of seconds of load.</summary>
    public required TimeSpan WarmUp { get; init; }

    public required TimeSpan StepDuration { get; init; }

    /// <summary>Announcements at a fixed rate, measured from announce to receipt.</summary>
    public required int EndToEndCount { get; init; }

    public double EndToEndRate { get; init; } = 1000;

    public required int BurstCount { get; init; }

    public int BurstConcurrency { get; init; } = 64;

    /// <summary>Notices waiting for one municipality when it reconnects.</summary>
    public required int BacklogCount { get; init; }

    /// <summary>Idle subscriber streams held open at once.</summary>
    public required int StreamCount { get; init; }

    public required int StreamsEndToEndCount { get; init; }

    public double StreamsEndToEndRate { get; init; } = 50;

    /// <summary>Notices in the database the restart time is measured on.</summary>
    public required int StartupDatabaseNotices { get; init; }

    public required int StartupRuns { get; init; }

    /// <summary>Longest a load phase may run (sending, waiting for acknowledgements, opening
    /// streams): a gateway that cannot keep up is reported with what it did in that time.</summary>
    public required TimeSpan PhaseLimit { get; init; }

    public static BenchProfile Full { get; } = new()
    {
        Mode = "full",
        StepRuns = 3,
        StepWarmup = TimeSpan.FromSeconds(1),
        WarmUp = TimeSpan.FromSeconds(30),
        StepDuration = TimeSpan.FromSeconds(4),
        EndToEndCount = 10_000,
        BurstCount = 10_000,
        BacklogCount = 100_000,
        StreamCount = 10_000,
        StreamsEndToEndCount = 2_000,
        StreamsEndToEndRate = 100,
        StartupDatabaseNotices = 1_000_000,
        StartupRuns = 3,
        PhaseLimit = TimeSpan.FromSeconds(120),
    };

    public static BenchProfile Quick { get; } = new()
    {
        Mode = "quick",
        StepRuns = 1,
        StepWarmup = TimeSpan.FromMilliseconds(200),
        WarmUp = TimeSpan.FromSeconds(1),
        StepDuration = TimeSpan.FromMilliseconds(500),
        EndToEndCount = 200,
        BurstCount = 200,
        BacklogCount = 1_000,
        StreamCount = 200,
        StreamsEndToEndCount = 50,
        StartupDatabaseNotices = 10_000,
        StartupRuns = 1,
        PhaseLimit = TimeSpan.FromSeconds(20),
        Municipalities = 24,
    };
}
