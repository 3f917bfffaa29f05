using ExchangeGateway.Server.Rules;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ExchangeGateway.Server.Merges;

/// <summary>Every <see cref="GatewayOptions.MunicipalityTableCheckInterval"/>, and once at start-up:
/// picks up a replaced municipality table file, then moves open arrivals out of codes that are closed
/// today. The moves run every time, not only after a reload, because a code also closes by a date
/// passing (mostly 1 January) while the gateway runs, and because another instance with an older
/// table may have accepted an arrival for a code this one already knows is closed. Time comes from the
/// <see cref="TimeProvider"/>, so tests move it.</summary>
internal sealed partial class MunicipalityTableMonitor(
    MunicipalityTableFile table,
    MergedMunicipalityMoves moves,
    TimeProvider time,
    IOptions<GatewayOptions> options,
    ILogger<MunicipalityTableMonitor> logger) : PeriodicJob(time, logger)
{
    protected override TimeSpan Interval => options.Value.MunicipalityTableCheckInterval;

    protected override async Task RunOnceAsync(CancellationToken cancellationToken)
    {
        table.Refresh();
        var moved = await moves.RunAsync(cancellationToken);
        if (moved > 0)
        {
            LogMoved(Logger, moved);
        }
    }

    [LoggerMessage(EventId = 10002, Level = LogLevel.Information, Message = "Moved {Count} open arrival(s) out of closed municipality codes to their successors.")]
    private static partial void LogMoved(ILogger logger, int count);
}
