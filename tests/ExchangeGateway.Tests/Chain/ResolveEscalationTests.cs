using ExchangeGateway.Contracts.V1;
using ExchangeGateway.Server.Deadlines;
using ExchangeGateway.Server.Identity;
using ExchangeGateway.Tests.Fixtures;
using ExchangeGateway.Tests.Shared;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace ExchangeGateway.Tests.Chain;

/// <summary>A gateway on a clock the tests move, so each test can let an announcement's
/// acknowledgement deadline pass and get an open escalation to resolve.</summary>
public sealed class EscalationHostFixture : IAsyncLifetime
{
    public static readonly TimeSpan Deadline = TimeSpan.FromHours(1);

    private GatewayHost? _host;

    public FakeTimeProvider Time { get; } = new(DateTimeOffset.UtcNow);

    public GatewayHost Host => _host ?? throw new InvalidOperationException("Not started.");

    public async Task InitializeAsync() => _host = await GatewayHost.StartAsync(Time, configure: options =>
    {
        options.AcknowledgementDeadline = Deadline;
        options.DeadlineSweepInterval = TimeSpan.FromMinutes(1);
    });

    public async Task DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }
    }

    /// <summary>Announces an arrival nobody acknowledges and lets the deadline pass: the arrival then
    /// has an open escalation for the municipality's silence (and one for the IND's).</summary>
    public async Task<(Arrival Arrival, Escalation Escalation)> EscalatedArrivalAsync(string municipalityCode = "0363")
    {
        var arrival = await Host.AnnounceAsync(TestArrivals.Family(municipalityCode, time: Time));
        Time.Advance(Deadline + TimeSpan.FromMinutes(1));
        await Host.Services.GetRequiredService<AcknowledgementDeadline>().SweepAsync(CancellationToken.None);
        var escalated = await Host.GetAsync(arrival.ArrivalId);
        var escalation = escalated.Escalations.Single(e => e.Description.Contains("municipality " + municipalityCode, StringComparison.Ordinal));
        return (escalated, escalation);
    }
}

public sealed class ResolveEscalationTests(EscalationHostFixture fixture) : IClassFixture<EscalationHostFixture>
{
    private const string Resolved = "nl.asielketen.escalatie-opgelost";

    private GatewayHost Host => fixture.Host;

    private ChainService.ChainServiceClient Chain(string organisationId = "ketenregie") => new(Host.ChannelFor(organisationId));

    private static ResolveEscalationRequest Request(string escalationId, string note = "Called the municipality; its BRP link was down and is back.") =>
        new() { RequestId = ArrivalSteps.NewRequestId(), EscalationId = escalationId, Note = note };

    private Task<ResolveEscalationResponse> ResolveAsync(ResolveEscalationRequest request, string organisationId = "ketenregie") =>
        Chain(organisationId).ResolveEscalationAsync(request).ResponseAsync;

    [Fact]
    public async Task ResolveEscalation_OpenEscalation_RecordsResolutionThatCoaSeesInGetArrival()
    {
        var (arrival, escalation) = await fixture.EscalatedArrivalAsync();
        var request = Request(escalation.EscalationId);

        var response = await ResolveAsync(request);

        Assert.Equal(arrival.ArrivalId, response.ArrivalId);
        var expected = escalation.Clone();
        expected.ResolvedAt = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(fixture.Time.GetUtcNow());
        expected.ResolvedBy = "ketenregie";
        expected.ResolutionNote = request.Note;
        Assert.Equal(expected, response.Escalation);
        var seenByCoa = await Host.GetAsync(arrival.ArrivalId, "coa");
        Assert.Equal(expected, seenByCoa.Escalations.Single(e => e.EscalationId == escalation.EscalationId));
        Assert.Equal(arrival.Version + 1, seenByCoa.Version);
        var entry = seenByCoa.History.Last();
        Assert.Equal(("escalation-resolved", "ketenregie"), (entry.Action, entry.Actor));
        Assert.Contains(escalation.EscalationId, entry.Description, StringComparison.Ordinal);
        Assert.DoesNotContain(request.Note, entry.Description, StringComparison.Ordinal); // free text stays out of history
        // The other escalation (the IND's silence) is still open.
        Assert.Single(seenByCoa.Escalations, e => e.ResolvedAt is null);
    }

    [Fact]
    public async Task ResolveEscalation_OpenEscalation_TellsCoaAndChainOnly()
    {
        var (arrival, escalation) = await fixture.EscalatedArrivalAsync("0344");

        var response = await ResolveAsync(Request(escalation.EscalationId));

        Assert.Equal([FeedNames.Chain, FeedNames.Coa], await Host.FeedsWithNoticeAboutAsync(arrival.ArrivalId, Resolved));
        var expected = new EscalationResolved { ArrivalId = arrival.ArrivalId, MunicipalityCode = "0344", Escalation = response.Escalation };
        Assert.Equal(expected, (await Host.DeliveredAsync("coa", FeedNames.Coa, arrival.ArrivalId, Resolved)).EscalationResolved);
        Assert.Equal(expected, (await Host.DeliveredAsync("ketenregie", FeedNames.Chain, arrival.ArrivalId, Resolved)).EscalationResolved);
    }

    [Fact]
    public async Task ResolveEscalation_AlreadyResolved_IsFailedPreconditionSayingWhenAndByWhom()
    {
        var (arrival, escalation) = await fixture.EscalatedArrivalAsync();
        await ResolveAsync(Request(escalation.EscalationId, "First resolution."));

        var violation = await RpcAssert.FailedPreconditionAsync(() => ResolveAsync(Request(escalation.EscalationId, "Second try.")), "ESCALATION_RESOLVED");

        Assert.Equal("escalations/" + escalation.EscalationId, violation.Subject);
        Assert.Contains("already resolved", violation.Description, StringComparison.Ordinal);
        Assert.Contains("ketenregie", violation.Description, StringComparison.Ordinal);
        var after = (await Host.GetAsync(arrival.ArrivalId)).Escalations.Single(e => e.EscalationId == escalation.EscalationId);
        Assert.Equal("First resolution.", after.ResolutionNote);
        Assert.Single(await Host.FeedsWithNoticeAboutAsync(arrival.ArrivalId, Resolved), FeedNames.Coa);
    }

    [Fact]
    public async Task ResolveEscalation_SameRequestTwice_ReturnsSameAnswerAndTellsOnce()
    {
        var (arrival, escalation) = await fixture.EscalatedArrivalAsync();
        var request = Request(escalation.EscalationId);

        var first = await ResolveAsync(request);
        fixture.Time.Advance(TimeSpan.FromMinutes(1));
        var second = await ResolveAsync(request);

        Assert.Equal(first, second);
        Assert.Equal([FeedNames.Chain, FeedNames.Coa], await Host.FeedsWithNoticeAboutAsync(arrival.ArrivalId, Resolved));
        Assert.Single((await Host.GetAsync(arrival.ArrivalId)).History, h => h.Action == "escalation-resolved");
    }

    [Fact]
    public async Task ResolveEscalation_UnknownEscalation_IsNotFound()
    {
        await RpcAssert.ThrowsAsync(StatusCode.NotFound, () => ResolveAsync(Request(Guid.CreateVersion7().ToString())));
    }

    [Fact]
    public async Task ResolveEscalation_UpperCaseId_FindsTheEscalation()
    {
        var (_, escalation) = await fixture.EscalatedArrivalAsync();

        var response = await ResolveAsync(Request(escalation.EscalationId.ToUpperInvariant()));

        Assert.Equal(escalation.EscalationId, response.Escalation.EscalationId);
    }

    [Fact]
    public async Task ResolveEscalation_EveryFieldInvalid_NamesEachField()
    {
        await RpcAssert.InvalidArgumentAsync(() => ResolveAsync(new ResolveEscalationRequest { RequestId = "", EscalationId = "not-a-uuid", Note = "" }),
            "request_id", "escalation_id", "note");
    }

    [Fact]
    public async Task ResolveEscalation_MissingIdAndNoteTooLong_NamesBothFields()
    {
        await RpcAssert.InvalidArgumentAsync(() => ResolveAsync(new ResolveEscalationRequest
        {
            RequestId = ArrivalSteps.NewRequestId(),
            EscalationId = "",
            Note = new string('n', 501),
        }), "escalation_id", "note");
    }

    [Theory]
    [InlineData("coa")]
    [InlineData("ind")]
    [InlineData("gemeente-amsterdam")]
    public async Task ResolveEscalation_ByOrganisationThatIsNotChainCoordination_IsPermissionDenied(string organisationId)
    {
        await RpcAssert.ReasonAsync(StatusCode.PermissionDenied, "ROLE_NOT_ALLOWED",
            () => ResolveAsync(Request(Guid.CreateVersion7().ToString()), organisationId));
    }
}
