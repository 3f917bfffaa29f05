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
}
