using Google.Protobuf;
using ExchangeGateway.Client.Resilience;
using Grpc.Core;
using Polly;

namespace ExchangeGateway.Tests.Client;

public sealed class GatewayResilienceTests
{
    /// <summary>Zero backoff: retries happen at once, so no test waits.</summary>
    private static ResiliencePipeline Pipeline(int maxRetries = 8) => GatewayResilience.CreatePipeline(new GatewayResilienceOptions
    {
        MaxRetryAttempts = maxRetries,
        BaseDelay = TimeSpan.Zero,
        MaxDelay = TimeSpan.FromMilliseconds(1),
    });

    private static RpcException Rpc(StatusCode code) => new(new Status(code, "test"));

    [Theory]
    [InlineData(StatusCode.Unavailable)]
    [InlineData(StatusCode.DeadlineExceeded)]
    [InlineData(StatusCode.ResourceExhausted)]
    [InlineData(StatusCode.Aborted)]
    public void IsRetryable_TransientStatus_ReturnsTrue(StatusCode code) => Assert.True(GatewayResilience.IsRetryable(code));

    [Theory]
    [InlineData(StatusCode.InvalidArgument)]
    [InlineData(StatusCode.PermissionDenied)]
    [InlineData(StatusCode.FailedPrecondition)]
    [InlineData(StatusCode.AlreadyExists)]
    [InlineData(StatusCode.NotFound)]
    [InlineData(StatusCode.Unauthenticated)]
    [InlineData(StatusCode.OK)]
    [InlineData(StatusCode.Internal)]
    [InlineData(StatusCode.Cancelled)]
    public void IsRetryable_AnswerNotFault_ReturnsFalse(StatusCode code) => Assert.False(GatewayResilience.IsRetryable(code));

    [Fact]
    public async Task CreatePipeline_UnavailableTwiceThenSuccess_RetriesAndReturnsResult()
    {
        var attempts = 0;

        var result = await Pipeline().ExecuteAsync(_ =>
        {
            attempts++;
            return attempts <= 2 ? throw Rpc(StatusCode.Unavailable) : ValueTask.FromResult("stored");
        });

        Assert.Equal("stored", result);
        Assert.Equal(3, attempts);
    }

    [Theory]
    [InlineData(StatusCode.DeadlineExceeded)]
    [InlineData(StatusCode.ResourceExhausted)]
    [InlineData(StatusCode.Aborted)]
    public async Task CreatePipeline_OtherTransientStatus_IsRetried(StatusCode code)
    {
        var attempts = 0;

        await Pipeline().ExecuteAsync(_ =>
        {
            attempts++;
            return attempts == 1 ? throw Rpc(code) : ValueTask.CompletedTask;
        });

        Assert.Equal(2, attempts);
    }

    [Theory]
    [InlineData(StatusCode.InvalidArgument)]
    [InlineData(StatusCode.PermissionDenied)]
    [InlineData(StatusCode.FailedPrecondition)]
    [InlineData(StatusCode.AlreadyExists)]
    [InlineData(StatusCode.NotFound)]
    public async Task CreatePipeline_NonRetryableStatus_ThrowsAfterOneAttempt(StatusCode code)
    {
        var attempts = 0;

        var error = await Assert.ThrowsAsync<RpcException>(async () => await Pipeline().ExecuteAsync(ValueTask (_) =>
        {
            attempts++;
            throw Rpc(code);
        }));

        Assert.Equal(code, error.StatusCode);
        Assert.Equal(1, attempts);
    }

    [Fact]
    public async Task CreatePipeline_OtherException_IsNotRetried()
    {
        var attempts = 0;

        await Assert.ThrowsAsync<InvalidOperationException>(async () => await Pipeline().ExecuteAsync(ValueTask (_) =>
        {
            attempts++;
            throw new InvalidOperationException();
        }));

        Assert.Equal(1, attempts);
    }

    [Fact]
    public async Task CreatePipeline_AlwaysUnavailable_GivesUpAfterMaxRetriesWithLastError()
    {
        var attempts = 0;

        var error = await Assert.ThrowsAsync<RpcException>(async () => await Pipeline(maxRetries: 3).ExecuteAsync(ValueTask (_) =>
        {
            attempts++;
            throw Rpc(StatusCode.Unavailable);
        }));

        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
        Assert.Equal(4, attempts);
    }

    [Fact]
    public void CreatePipeline_NullOptions_Throws()
    {
        Assert.Throws<ArgumentNullException>(() => GatewayResilience.CreatePipeline(null!));
    }
    private static RpcException WithRetryInfo(TimeSpan delay)
    {
        var status = new Google.Rpc.Status { Code = (int)StatusCode.ResourceExhausted, Message = "test" };
        status.Details.Add(Google.Protobuf.WellKnownTypes.Any.Pack(new Google.Rpc.RetryInfo { RetryDelay = Google.Protobuf.WellKnownTypes.Duration.FromTimeSpan(delay) }));
        return new RpcException(new Status(StatusCode.ResourceExhausted, "test"), new Metadata { { "grpc-status-details-bin", status.ToByteArray() } });
    }

    [Fact]
    public void RetryDelayOf_AnswerWithRetryInfo_ReturnsItsDelay() =>
        Assert.Equal(TimeSpan.FromMilliseconds(1500), GatewayResilience.RetryDelayOf(WithRetryInfo(TimeSpan.FromMilliseconds(1500))));

    [Fact]
    public void RetryDelayOf_AnswerWithoutDetails_ReturnsNull() => Assert.Null(GatewayResilience.RetryDelayOf(Rpc(StatusCode.Unavailable)));

    [Fact]
    public async Task CreatePipeline_GatewayAsksToWait_NextAttemptWaitsThatLong()
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
        var pipeline = GatewayResilience.CreatePipeline(new GatewayResilienceOptions { BaseDelay = TimeSpan.Zero, MaxDelay = TimeSpan.FromSeconds(10) }, time);
        var attempts = 0;
        var call = pipeline.ExecuteAsync(_ => ++attempts == 1 ? throw WithRetryInfo(TimeSpan.FromSeconds(3)) : ValueTask.FromResult(attempts)).AsTask();

        // Without the RetryInfo the zero backoff would have retried at once.
        await Fixtures.Eventually.TrueAsync(() => Task.FromResult(attempts == 1), "the first attempt is made");
        time.Advance(TimeSpan.FromSeconds(2.9));
        Assert.False(call.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(0.1));

        Assert.Equal(2, await call);
    }

    [Fact]
    public async Task CreateReconnectPipeline_ConnectionLostManyTimes_KeepsTryingOnTheClockUpToTheLongestDelay()
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
        var pipeline = GatewayResilience.CreateReconnectPipeline(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(4), time);
        var attempts = 0;
        // More failures than any fixed retry budget of the unary pipeline: a subscriber never gives up.
        var connect = pipeline.ExecuteAsync(_ => ++attempts <= 20 ? throw new RpcException(new Status(StatusCode.Unavailable, "restarting")) : ValueTask.FromResult(attempts)).AsTask();

        for (var expected = 2; expected <= 21; expected++)
        {
            await Fixtures.Eventually.TrueAsync(() => Task.FromResult(attempts == expected - 1), $"attempt {expected - 1} is made");
            // Never longer than the longest delay: one Advance of it always brings the next attempt.
            time.Advance(TimeSpan.FromSeconds(4));
        }

        Assert.Equal(21, await connect);
    }

    [Theory]
    [InlineData(StatusCode.PermissionDenied)]
    [InlineData(StatusCode.InvalidArgument)]
    [InlineData(StatusCode.Unauthenticated)]
    public async Task CreateReconnectPipeline_CallerRefused_NotRetried(StatusCode code)
    {
        var pipeline = GatewayResilience.CreateReconnectPipeline(TimeSpan.Zero, TimeSpan.Zero);
        var attempts = 0;

        var error = await Assert.ThrowsAsync<RpcException>(() => pipeline.ExecuteAsync(_ => { attempts++; throw new RpcException(new Status(code, "no")); }).AsTask());

        Assert.Equal((code, 1), (error.StatusCode, attempts));
    }
}
