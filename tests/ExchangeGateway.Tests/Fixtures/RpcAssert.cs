using Google.Rpc;
using Grpc.Core;

namespace ExchangeGateway.Tests.Fixtures;

/// <summary>Assertions on gRPC errors and their google.rpc details.</summary>
public static class RpcAssert
{
    public static async Task<RpcException> ThrowsAsync(StatusCode expected, Func<Task> call)
    {
        var exception = await Assert.ThrowsAsync<RpcException>(call);
        Assert.True(expected == exception.StatusCode, $"Expected {expected}, got {exception.StatusCode}: {exception.Status.Detail}");
        return exception;
    }

    /// <summary>INVALID_ARGUMENT whose BadRequest names every field in <paramref name="fields"/>.</summary>
    public static async Task<BadRequest> InvalidArgumentAsync(Func<Task> call, params string[] fields)
    {
        var exception = await ThrowsAsync(StatusCode.InvalidArgument, call);
        var badRequest = exception.GetRpcStatus()?.GetDetail<BadRequest>();
        Assert.NotNull(badRequest);
        foreach (var field in fields)
        {
            Assert.True(badRequest.FieldViolations.Any(v => v.Field == field),
                $"No violation for '{field}'; got: {string.Join(", ", badRequest.FieldViolations.Select(v => v.Field))}");
        }
        return badRequest;
    }

    /// <summary>FAILED_PRECONDITION whose PreconditionFailure has a violation of <paramref name="type"/>.</summary>
    public static async Task<PreconditionFailure.Types.Violation> FailedPreconditionAsync(Func<Task> call, string type)
    {
        var exception = await ThrowsAsync(StatusCode.FailedPrecondition, call);
        var failure = exception.GetRpcStatus()?.GetDetail<PreconditionFailure>();
        Assert.NotNull(failure);
        return Assert.Single(failure.Violations, v => v.Type == type);
    }

    /// <summary>An error of <paramref name="expected"/> whose ErrorInfo has <paramref name="reason"/>.</summary>
    public static async Task<RpcException> ReasonAsync(StatusCode expected, string reason, Func<Task> call)
    {
        var exception = await ThrowsAsync(expected, call);
        var info = exception.GetRpcStatus()?.GetDetail<ErrorInfo>();
        Assert.NotNull(info);
        Assert.Equal(reason, info.Reason);
        return exception;
    }
}
