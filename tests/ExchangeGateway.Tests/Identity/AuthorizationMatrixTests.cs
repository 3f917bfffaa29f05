using ExchangeGateway.Contracts.V1;
using ExchangeGateway.Tests.Fixtures;
using ExchangeGateway.Tests.Shared;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;

namespace ExchangeGateway.Tests.Identity;

/// <summary>Walks every unary RPC × every role × own / foreign arrival. The expectations are written
/// out here (the README's authorization table), not read from the access policy, so a change to the
/// policy has to change this table too.</summary>
public sealed class AuthorizationMatrixTests(GatewayHostFixture fixture) : IClassFixture<GatewayHostFixture>
{
    /// <summary>Callers: each role, and for municipalities one that serves the arrival's code (0363)
    /// and one that does not.</summary>
    public const string Coa = "coa", Ind = "ind", Chain = "ketenregie", Own = "gemeente-amsterdam", Foreign = "gemeente-utrecht";

    private static readonly string[] Callers = [Coa, Ind, Chain, Own, Foreign];

    private static readonly Marshaller<byte[]> Bytes = Marshallers.Create(b => b, b => b);

    /// <summary>Who may call what. Municipal callers see only their own municipality's arrivals: for
    /// a foreign arrival the answer is NOT_FOUND, exactly as for one that does not exist.</summary>
    private static readonly Dictionary<string, string[]> Allowed = new()
    {
        ["ArrivalService/AnnounceArrival"] = [Coa],
        ["ArrivalService/AmendArrival"] = [Coa],
        ["ArrivalService/CancelArrival"] = [Coa],
        ["ArrivalService/ReportDeparture"] = [Coa],
        ["ArrivalService/ReportTravellersArrived"] = [Coa],
        ["ArrivalService/GetArrival"] = [Coa, Chain, Own, Foreign],
        ["ArrivalService/ListArrivals"] = [Coa, Chain, Own, Foreign],
        ["MunicipalityService/ReportRegistration"] = [Own, Foreign],
        ["MunicipalityService/ReportBsnAssigned"] = [Own, Foreign],
        ["MunicipalityService/DecideConsent"] = [Own, Foreign],
        ["MunicipalityService/ReportUnannouncedArrival"] = [Own, Foreign],
        ["IndService/LookupTraveller"] = [Ind],
        ["IndService/ReportCheckIn"] = [Ind],
        ["ChainService/GetOverview"] = [Chain, Coa],
        ["ChainService/GetMunicipalityOverview"] = [Chain, Coa, Own, Foreign],
        ["ChainService/ListOpenEscalations"] = [Chain, Coa],
        ["ChainService/ResolveEscalation"] = [Chain],
        ["PullFeedService/FetchNotices"] = [Coa, Ind, Chain, Own, Foreign],
        ["PullFeedService/AcknowledgeNotices"] = [Coa, Ind, Chain, Own, Foreign],
        ["WebhookService/ListWebhookSubscriptions"] = [Chain],
        ["WebhookService/RetryParkedNotices"] = [Chain],
        ["GatewayService/Ping"] = [Coa, Ind, Chain, Own, Foreign],
    };

    /// <summary>Calls that name an arrival: a municipality that does not serve it must get NOT_FOUND.</summary>
    private static readonly HashSet<string> ArrivalScoped =
    [
        "ArrivalService/GetArrival", "MunicipalityService/ReportRegistration", "MunicipalityService/ReportBsnAssigned", "MunicipalityService/DecideConsent",
    ];

    private GatewayHost Host => fixture.Host;

    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        foreach (var method in Allowed.Keys)
        {
            foreach (var caller in Callers)
            {
                data.Add(method, caller);
            }
        }
        return data;
    }

    [Fact]
    public void Matrix_CoversEveryRpcOfTheContracts()
    {
        var published = new[] { ArrivalService.Descriptor, MunicipalityService.Descriptor, IndService.Descriptor, ChainService.Descriptor, PullFeedService.Descriptor, WebhookService.Descriptor, GatewayService.Descriptor }
            .SelectMany(s => s.Methods.Select(m => $"{s.Name}/{m.Name}"))
            .ToHashSet();

        Assert.Equal(published.Order(), Allowed.Keys.Order());
        Assert.Equal(["Subscribe"], NoticeFeed.Descriptor.Methods.Select(m => m.Name)); // the stream is walked below
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Call_RoleAndArrival_IsAllowedDeniedOrNotFound(string method, string caller)
    {
        var arrival = await Host.AnnounceAsync(TestArrivals.Family("0363", 3)); // a household awaiting Amsterdam's consent
        var request = await RequestAsync(method, arrival);

        var status = await CallAsync(method, caller, request);

        if (!Allowed[method].Contains(caller))
        {
            Assert.True(status.StatusCode == StatusCode.PermissionDenied, $"{caller} calling {method}: expected PERMISSION_DENIED, got {status}");
        }
        else if (caller == Foreign && ArrivalScoped.Contains(method))
        {
            Assert.True(status.StatusCode == StatusCode.NotFound, $"{caller} calling {method} on another municipality's arrival: expected NOT_FOUND, got {status}");
            // Indistinguishable from an arrival that does not exist.
            var missing = Guid.NewGuid().ToString();
            var forMissing = await CallAsync(method, caller, await RequestAsync(method, arrival, arrivalId: missing));
            Assert.Equal(forMissing.Detail.Replace(missing, "<id>", StringComparison.Ordinal), status.Detail.Replace(arrival.ArrivalId, "<id>", StringComparison.Ordinal));
        }
        else if (caller == Foreign && method == "ChainService/GetMunicipalityOverview")
        {
            Assert.True(status.StatusCode == StatusCode.NotFound, $"{caller} reading another municipality's overview: expected NOT_FOUND, got {status}");
            // Indistinguishable from a code that does not exist.
            var forMissing = await CallAsync(method, caller, new GetMunicipalityOverviewRequest { MunicipalityCode = "0002" });
            Assert.Equal(forMissing.Detail.Replace("0002", "<code>", StringComparison.Ordinal), status.Detail.Replace("0363", "<code>", StringComparison.Ordinal));
        }
        else if (caller == Foreign && method == "MunicipalityService/ReportUnannouncedArrival")
        {
            Assert.True(status.StatusCode == StatusCode.PermissionDenied, $"reporting for a municipality it does not serve: expected PERMISSION_DENIED, got {status}");
        }
        else
        {
            Assert.True(status.StatusCode is not (StatusCode.PermissionDenied or StatusCode.NotFound or StatusCode.Unauthenticated or StatusCode.Internal),
                $"{caller} calling {method}: expected to be let through, got {status}");
        }
    }

    [Fact]
    public async Task ListArrivals_ForeignMunicipality_SeesNoneOfAnothersArrivals()
    {
        var arrival = await Host.AnnounceAsync(TestArrivals.Family("0363", 1));

        var asUtrecht = await Host.Arrivals(Foreign).ListArrivalsAsync(new ListArrivalsRequest { PageSize = 500 });
        var asUtrechtFiltered = await Host.Arrivals(Foreign).ListArrivalsAsync(new ListArrivalsRequest { MunicipalityCode = "0363" });
        var asAmsterdam = await Host.Arrivals(Own).ListArrivalsAsync(new ListArrivalsRequest { PageSize = 500 });

        Assert.DoesNotContain(asUtrecht.Arrivals, a => a.Details.MunicipalityCode != "0344");
        Assert.Empty(asUtrechtFiltered.Arrivals);
        Assert.Contains(asAmsterdam.Arrivals, a => a.ArrivalId == arrival.ArrivalId);
    }

    [Theory]
    [InlineData(Coa, "", StatusCode.OK)]
    [InlineData(Ind, "", StatusCode.OK)]
    [InlineData(Chain, "", StatusCode.OK)]
    [InlineData(Own, "0363", StatusCode.OK)]
    [InlineData(Foreign, "0363", StatusCode.PermissionDenied)]
    [InlineData(Coa, "0363", StatusCode.InvalidArgument)]
    public async Task Subscribe_RoleAndFeed_OpensOnlyItsOwnFeed(string caller, string municipalityCode, StatusCode expected)
    {
        using var call = Host.Feed(caller).Subscribe();
        await call.RequestStream.WriteOrEndedAsync(new SubscribeRequest { Open = new OpenFeed { MunicipalityCode = municipalityCode } });

        var status = StatusCode.OK;
        try
        {
            Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
            Assert.Equal(SubscribeResponse.EventOneofCase.Opened, call.ResponseStream.Current.EventCase);
        }
        catch (RpcException exception)
        {
            status = exception.StatusCode;
        }

        Assert.Equal(expected, status);
    }

    private async Task<Grpc.Core.Status> CallAsync(string method, string caller, IMessage request)
    {
        var (service, name) = (method[..method.IndexOf('/', StringComparison.Ordinal)], method[(method.IndexOf('/', StringComparison.Ordinal) + 1)..]);
        var unary = new Method<byte[], byte[]>(MethodType.Unary, "exchange.v1." + service, name, Bytes, Bytes);
        try
        {
            await Host.ChannelFor(caller).CreateCallInvoker().AsyncUnaryCall(unary, null, new CallOptions(), request.ToByteArray());
            return Grpc.Core.Status.DefaultSuccess;
        }
        catch (RpcException exception)
        {
            return exception.Status;
        }
    }

    /// <summary>A well-formed request for <paramref name="method"/> about <paramref name="arrival"/>.</summary>
    private async Task<IMessage> RequestAsync(string method, Arrival arrival, string? arrivalId = null)
    {
        var id = arrivalId ?? arrival.ArrivalId;
        var vNumber = arrival.Details.Travellers[0].VNumber;
        var requestId = ArrivalSteps.NewRequestId();
        return method switch
        {
            "ArrivalService/AnnounceArrival" => new AnnounceArrivalRequest { RequestId = requestId, Arrival = TestArrivals.Family("0363", 1) },
            "ArrivalService/AmendArrival" => new AmendArrivalRequest { RequestId = requestId, ArrivalId = id, Arrival = arrival.Details },
            "ArrivalService/CancelArrival" => new CancelArrivalRequest { RequestId = requestId, ArrivalId = id, Reason = "Matrix test." },
            "ArrivalService/ReportDeparture" => new ReportDepartureRequest { RequestId = requestId, ArrivalId = id },
            "ArrivalService/ReportTravellersArrived" => new ReportTravellersArrivedRequest { RequestId = requestId, ArrivalId = id },
            "ArrivalService/GetArrival" => new GetArrivalRequest { ArrivalId = id },
            "ArrivalService/ListArrivals" => new ListArrivalsRequest(),
            "MunicipalityService/ReportRegistration" => new ReportRegistrationRequest
            {
                RequestId = requestId,
                ArrivalId = id,
                Registrations = { new TravellerRegistration { VNumber = vNumber, Status = RegistrationStatus.Pending } },
            },
            "MunicipalityService/ReportBsnAssigned" => new ReportBsnAssignedRequest
            {
                RequestId = requestId,
                ArrivalId = id,
                Assignments = { new BsnAssignment { VNumber = vNumber, Bsn = TestArrivals.NewBsn() } },
            },
            "MunicipalityService/DecideConsent" => new DecideConsentRequest { RequestId = requestId, ArrivalId = id, Decision = ConsentStatus.Granted },
            "MunicipalityService/ReportUnannouncedArrival" => new ReportUnannouncedArrivalRequest
            {
                RequestId = requestId,
                MunicipalityCode = "0363",
                VNumbers = { TestArrivals.NewVNumber() },
                ArrivedOn = TestArrivals.ToDate(Host.Today()),
            },
            "IndService/LookupTraveller" => new LookupTravellerRequest { VNumber = vNumber },
            "IndService/ReportCheckIn" => new ReportCheckInRequest { RequestId = requestId, VNumber = vNumber },
            "ChainService/GetOverview" => new GetOverviewRequest(),
            "ChainService/GetMunicipalityOverview" => new GetMunicipalityOverviewRequest { MunicipalityCode = "0363", SeriesDays = 7 },
            "ChainService/ListOpenEscalations" => new ListOpenEscalationsRequest(),
            "ChainService/ResolveEscalation" => new ResolveEscalationRequest { RequestId = requestId, EscalationId = await OpenEscalationAsync(), Note = "Matrix test." },
            // Each caller its own feed; one notice at most, not waiting.
            "PullFeedService/FetchNotices" => new FetchNoticesRequest { MaxNotices = 1 },
            "PullFeedService/AcknowledgeNotices" => new AcknowledgeNoticesRequest { Sequences = { 1 } },
            "WebhookService/ListWebhookSubscriptions" => new ListWebhookSubscriptionsRequest(),
            // This gateway's registry has no webhook: the call gets as far as the missing feed.
            "WebhookService/RetryParkedNotices" => new RetryParkedNoticesRequest { RequestId = requestId },
            "GatewayService/Ping" => new PingRequest(),
            _ => throw new ArgumentOutOfRangeException(nameof(method), method, "No request for this method; add one."),
        };
    }

    /// <summary>A late announcement raises an escalation at once.</summary>
    private async Task<string> OpenEscalationAsync()
    {
        var details = TestArrivals.Family("0344", 1);
        details.ExpectedArrivalDate = TestArrivals.ToDate(Host.Today().AddDays(1));
        return (await Host.AnnounceAsync(details)).Escalations.Single().EscalationId;
    }
}
