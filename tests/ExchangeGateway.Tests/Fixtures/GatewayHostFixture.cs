namespace ExchangeGateway.Tests.Fixtures;

/// <summary>One gateway shared by the tests of a class; tests keep out of each other's way by using
/// fresh V-numbers and case references.</summary>
public sealed class GatewayHostFixture : IAsyncLifetime
{
    private GatewayHost? _host;

    public GatewayHost Host => _host ?? throw new InvalidOperationException("Not started.");

    public async Task InitializeAsync() => _host = await GatewayHost.StartAsync();

    public async Task DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }
    }
}
