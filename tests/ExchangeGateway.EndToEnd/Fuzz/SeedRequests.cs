using ExchangeGateway.Contracts.V1;
using ExchangeGateway.Tests.Shared;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Google.Protobuf.WellKnownTypes;

namespace ExchangeGateway.EndToEnd.Fuzz;

/// <summary>Arrivals prepared before fuzzing, so that mutated requests reach past "not found".</summary>
public sealed record FuzzWorld(string AnnouncedId, string ArrivedId, IReadOnlyList<string> ArrivedVNumbers, string CancelId);

/// <summary>A valid request per message type, to mutate from; a type not listed here (an RPC added
/// later) starts from the empty message.</summary>
public static class SeedRequests
{
    public static IMessage For(MessageDescriptor input, FuzzWorld world, Random random)
    {
        var requestId = Guid.NewGuid().ToString();
        IMessage? seed = input.FullName switch
        {
            "exchange.v1.AnnounceArrivalRequest" => new AnnounceArrivalRequest { RequestId = requestId, Arrival = Details(random) },
            "exchange.v1.AmendArrivalRequest" => new AmendArrivalRequest { RequestId = requestId, ArrivalId = world.AnnouncedId, Arrival = Details(random) },
            "exchange.v1.CancelArrivalRequest" => new CancelArrivalRequest { RequestId = requestId, ArrivalId = world.CancelId, Reason = "Plans changed." },
            "exchange.v1.ReportDepartureRequest" => new ReportDepartureRequest { RequestId = requestId, ArrivalId = world.AnnouncedId, DepartedAt = Timestamp.FromDateTime(DateTime.UtcNow.AddMinutes(-5)) },
            "exchange.v1.ReportTravellersArrivedRequest" => new ReportTravellersArrivedRequest { RequestId = requestId, ArrivalId = world.ArrivedId },
            "exchange.v1.GetArrivalRequest" => new GetArrivalRequest { ArrivalId = world.ArrivedId },
            "exchange.v1.ListArrivalsRequest" => new ListArrivalsRequest { PageSize = 5, MunicipalityCode = "0363", State = ArrivalState.Announced },
            "exchange.v1.ReportRegistrationRequest" => Registration(world, requestId),
            "exchange.v1.ReportBsnAssignedRequest" => new ReportBsnAssignedRequest
            {
                RequestId = requestId,
                ArrivalId = world.ArrivedId,
                Assignments = { new BsnAssignment { VNumber = world.ArrivedVNumbers[0], Bsn = TestArrivals.NewBsn() } },
            },
            "exchange.v1.DecideConsentRequest" => new DecideConsentRequest { RequestId = requestId, ArrivalId = world.AnnouncedId, Decision = ConsentStatus.Granted },
            "exchange.v1.ReportUnannouncedArrivalRequest" => new ReportUnannouncedArrivalRequest
            {
                RequestId = requestId,
                VNumbers = { TestArrivals.NewVNumber() },
                ArrivedOn = TestArrivals.ToDate(DateOnly.FromDateTime(DateTime.UtcNow.AddDays(-1))),
            },
            "exchange.v1.LookupTravellerRequest" => new LookupTravellerRequest { VNumber = world.ArrivedVNumbers[0] },
            "exchange.v1.ReportCheckInRequest" => new ReportCheckInRequest { RequestId = requestId, VNumber = world.ArrivedVNumbers[0] },
            "exchange.v1.ResolveEscalationRequest" => new ResolveEscalationRequest { RequestId = requestId, EscalationId = Guid.NewGuid().ToString(), Note = "Resolved by phone." },
            "exchange.v1.GetOverviewRequest" => new GetOverviewRequest { MunicipalityCode = "0363" },
            "exchange.v1.FetchNoticesRequest" => new FetchNoticesRequest { MaxNotices = (uint)random.Next(1, 20) },
            "exchange.v1.AcknowledgeNoticesRequest" => new AcknowledgeNoticesRequest { Sequences = { (ulong)random.Next(1, 50) } },
            "exchange.v1.RetryParkedNoticesRequest" => new RetryParkedNoticesRequest { RequestId = requestId, Feed = random.Next(2) == 0 ? "municipality:0363" : "coa" },
            "exchange.v1.SubscribeRequest" => new SubscribeRequest { Open = new OpenFeed { MaxUnacknowledged = 10 } },
            _ => null,
        };
        return seed ?? input.Parser.ParseFrom(ByteString.Empty);
    }

    private static ArrivalDetails Details(Random random) =>
        TestArrivals.Family(random.Next(2) == 0 ? "0363" : "0344", travellers: random.Next(1, 4));

    private static ReportRegistrationRequest Registration(FuzzWorld world, string requestId)
    {
        var request = new ReportRegistrationRequest { RequestId = requestId, ArrivalId = world.ArrivedId };
        request.Registrations.Add(new TravellerRegistration { VNumber = world.ArrivedVNumbers[0], Status = RegistrationStatus.Pending });
        return request;
    }
}
