using System.Globalization;
using Grpc.AspNetCore.Server;
using Grpc.Core;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace ExchangeGateway.Server.Limits;

/// <summary>Gives every unary call a deadline of at most <see cref="LimitsOptions.MaxUnaryCallDuration"/>:
/// a call whose client set none (or a later or unreadable one) is handled as if the client had asked
/// for the maximum. It does so by setting the request's <c>grpc-timeout</c> header before the gRPC
/// endpoint reads it, so grpc-dotnet's own deadline handling does the rest: the handler's
/// cancellation token fires and the client gets DEADLINE_EXCEEDED. Feed streams are long-lived by
/// design and keep no deadline.</summary>
internal sealed class CallDeadlineMiddleware
{
    private const string TimeoutHeader = "grpc-timeout";

    private readonly RequestDelegate _next;
    private readonly TimeSpan _max;
    private readonly string _maxHeader;

    public CallDeadlineMiddleware(RequestDelegate next, IOptions<GatewayOptions> options)
    {
        _next = next;
        _max = options.Value.Limits.MaxUnaryCallDuration;
        _maxHeader = GrpcTimeout.Format(_max);
    }

    public Task InvokeAsync(HttpContext context)
    {
        if (_max > TimeSpan.Zero
            && context.GetEndpoint()?.Metadata.GetMetadata<GrpcMethodMetadata>() is { Method.Type: MethodType.Unary })
        {
            var headers = context.Request.Headers;
            if (!GrpcTimeout.TryParse(headers[TimeoutHeader].ToString(), out var asked) || asked > _max)
            {
                headers[TimeoutHeader] = _maxHeader;
            }
        }
        return _next(context);
    }
}

/// <summary>The <c>grpc-timeout</c> header: 1 to 8 digits and a unit (H, M, S, m, u, n), per the
/// gRPC over HTTP/2 protocol.</summary>
internal static class GrpcTimeout
{
    private const int MaxDigits = 8;

    public static bool TryParse(string? value, out TimeSpan timeout)
    {
        timeout = default;
        if (string.IsNullOrEmpty(value) || value.Length < 2 || value.Length > MaxDigits + 1)
        {
            return false;
        }
        long amount = 0;
        for (var i = 0; i < value.Length - 1; i++)
        {
            if (value[i] is < '0' or > '9')
            {
                return false;
            }
            amount = (amount * 10) + (value[i] - '0');
        }
        // At most 99,999,999 of any unit: even in hours that fits a TimeSpan.
        timeout = value[^1] switch
        {
            'H' => TimeSpan.FromHours(amount),
            'M' => TimeSpan.FromMinutes(amount),
            'S' => TimeSpan.FromSeconds(amount),
            'm' => TimeSpan.FromMilliseconds(amount),
            'u' => TimeSpan.FromTicks(amount * 10),
            'n' => TimeSpan.FromTicks(amount / 100),
            _ => TimeSpan.MinValue,
        };
        return timeout != TimeSpan.MinValue;
    }

    /// <summary>In milliseconds where that fits in 8 digits, else in seconds (rounded down, at least 1).</summary>
    public static string Format(TimeSpan timeout)
    {
        var milliseconds = (long)Math.Max(1, Math.Ceiling(timeout.TotalMilliseconds));
        return milliseconds <= 99_999_999
            ? milliseconds.ToString(CultureInfo.InvariantCulture) + "m"
            : Math.Min(99_999_999, (long)timeout.TotalSeconds).ToString(CultureInfo.InvariantCulture) + "S";
    }
}
