namespace ExchangeGateway.Tests.Fixtures;

/// <summary>Waits for a condition that background work makes true (no fixed sleeps).</summary>
public static class Eventually
{
    public static async Task TrueAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null)
    {
        using var deadline = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(10));
        while (!await condition())
        {
            if (deadline.IsCancellationRequested)
            {
                Assert.Fail("Timed out waiting until " + what);
            }
            await Task.Yield();
            await Task.Delay(10, CancellationToken.None);
        }
    }
}
