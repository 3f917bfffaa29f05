using ExchangeGateway.Server.Hosting;
using ExchangeGateway.Tests.Fixtures;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace ExchangeGateway.Tests.Hosting;

public sealed class PeriodicJobTests
{
    private sealed class CountingJob(TimeProvider time, Func<int, Task> round) : PeriodicJob(time, NullLogger.Instance)
    {
        private int _rounds;

        public int Rounds => Volatile.Read(ref _rounds);

        protected override TimeSpan Interval => TimeSpan.FromMinutes(1);

        protected override Task RunOnceAsync(CancellationToken cancellationToken) => round(Interlocked.Increment(ref _rounds));
    }

    [Fact]
    public async Task ExecuteAsync_ClockMovedWhileARoundRuns_RunsOnceMoreWithoutWaitingForAnotherMove()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var firstRound = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var job = new CountingJob(time, n => n == 1 ? firstRound.Task : Task.CompletedTask);
        await job.StartAsync(CancellationToken.None);
        try
        {
            await Eventually.TrueAsync(() => Task.FromResult(job.Rounds == 1), "the start-up round begins");
            time.Advance(TimeSpan.FromDays(90)); // while the first round still runs
            firstRound.SetResult();

            await Eventually.TrueAsync(() => Task.FromResult(job.Rounds == 2), "the round the move made due runs");
        }
        finally
        {
            await job.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task ExecuteAsync_ARoundFails_TheNextIntervalRunsAgain()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var job = new CountingJob(time, n => n == 1 ? Task.FromException(new IOException("disk")) : Task.CompletedTask);
        await job.StartAsync(CancellationToken.None);
        try
        {
            await Eventually.TrueAsync(() => Task.FromResult(job.Rounds == 1), "the start-up round fails");
            await Eventually.TrueAsync(() =>
            {
                // The job's delay may not be registered yet: move one interval at a time.
                time.Advance(TimeSpan.FromMinutes(1));
                return Task.FromResult(job.Rounds >= 2);
            }, "the job runs again an interval later");
        }
        finally
        {
            await job.StopAsync(CancellationToken.None);
        }
    }
}
