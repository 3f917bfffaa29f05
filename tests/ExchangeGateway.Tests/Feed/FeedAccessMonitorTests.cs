using ExchangeGateway.Server.Feed;
using ExchangeGateway.Server.Hosting;
using ExchangeGateway.Server.Identity;
using ExchangeGateway.Tests.Shared;
using Grpc.Core;
using Microsoft.Extensions.Logging.Abstractions;

namespace ExchangeGateway.Tests.Feed;

public sealed class FeedAccessMonitorTests : IDisposable
{
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("exgw-access-");
    private readonly string _registryPath;
    private readonly FileBackedValue<OrganisationRegistry> _registry;
    private readonly FeedAccessMonitor _monitor;

    public FeedAccessMonitorTests()
    {
        _registryPath = Path.Combine(_directory.FullName, "organisations.json");
        File.Copy(TestPki.RegistryPath, _registryPath);
        _registry = new FileBackedValue<OrganisationRegistry>("registry", [_registryPath], () => OrganisationRegistry.Load(_registryPath), NullLogger.Instance);
        var validator = new ClientCertificateValidator(ClientCertificateValidator.LoadAnchors(TestPki.CaPath), TimeProvider.System);
        _monitor = new FeedAccessMonitor(new CallerResolver(validator, _registry, NullLogger<CallerResolver>.Instance), validator, NullLogger<FeedAccessMonitor>.Instance);
    }

    public void Dispose() => _directory.Delete(recursive: true);

    private void Remove(string organisationId)
    {
        new OrganisationRegistry(OrganisationRegistry.Load(_registryPath).Organisations.Where(o => o.Id != organisationId)).Save(_registryPath);
        Assert.True(_registry.Refresh());
    }

    [Fact]
    public void OnReloaded_OneOrganisationRemoved_EndsOnlyItsStreamsOnce()
    {
        using var coa = TestPki.Client("coa");
        using var ind = TestPki.Client("ind");
        var ended = new List<(string Who, StatusCode Status)>();
        using var coaWatch = _monitor.Add(coa, FeedNames.Coa, e => ended.Add(("coa", e.StatusCode)));
        using var indWatch = _monitor.Add(ind, FeedNames.Ind, e => ended.Add(("ind", e.StatusCode)));

        Remove("coa");
        _monitor.OnReloaded();
        _monitor.OnReloaded();

        Assert.Equal([("coa", StatusCode.PermissionDenied)], ended);
        Assert.Equal(1, _monitor.Count);
    }

    [Fact]
    public void Add_CallerNoLongerAllowedSinceItsCallWasAuthorised_ThrowsAndWatchesNothing()
    {
        using var coa = TestPki.Client("coa");
        Remove("coa");

        var refused = Assert.Throws<RpcException>(() => _monitor.Add(coa, FeedNames.Coa, _ => { }));

        Assert.Equal(StatusCode.PermissionDenied, refused.StatusCode);
        Assert.Equal(0, _monitor.Count);
    }

    [Fact]
    public void Dispose_StreamEnded_IsNoLongerWatched()
    {
        using var coa = TestPki.Client("coa");
        var watch = _monitor.Add(coa, FeedNames.Coa, _ => Assert.Fail("an ended stream must not be ended again"));

        watch.Dispose();
        Remove("coa");
        _monitor.OnReloaded();

        Assert.Equal(0, _monitor.Count);
    }
}
