namespace ExchangeGateway.EndToEnd.Fixtures;

/// <summary>Waits for something the gateway process does in its own time (a reload) instead of sleeping.</summary>
public static class Until
{
    public static Task TrueAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null) =>
        TrueAsync(condition, () => what, timeout);

    /// <summary>As above; <paramref name="what"/> is asked for only on failure (e.g. the last state seen).</summary>
    public static async Task TrueAsync(Func<Task<bool>> condition, Func<string> what, TimeSpan? timeout = null)
    {
        var limit = timeout ?? TimeSpan.FromSeconds(30);
        using var deadline = new CancellationTokenSource(limit);
        while (!await condition())
        {
            if (deadline.IsCancellationRequested)
            {
                Assert.Fail($"Not true within {limit.TotalSeconds} s: {what()}");
            }
            await Task.Delay(50, CancellationToken.None);
        }
    }
}
