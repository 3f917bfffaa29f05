using ExchangeGateway.Contracts.V1;
using ExchangeGateway.Tests.Fixtures;
using ExchangeGateway.Tests.Shared;
using Grpc.Core;

namespace ExchangeGateway.Tests.Audit;

public sealed class PersonalDataInLogsTests
{
    [Fact]
    public async Task Logs_WholeFlowWithErrorsAtTraceLevel_NeverContainPersonalData()
    {
        var logs = new CapturedLogs();
        await using var host = await GatewayHost.StartAsync(logs: logs);
        var details = TestArrivals.Family("0363");
        details.Travellers[0].Name = new PersonName { GivenNames = "Zerihunxq", Surname = "Tewoldexq" };
        details.DestinationAddress.Street = "Geheimstraatxq";
        var bsns = new[] { TestArrivals.NewBsn(), TestArrivals.NewBsn() };
        var personalExtra = new List<string>();

        // The happy path, through registration, BSN and check-in.
        var arrival = await host.RegisterAllAsync(await host.AnnounceArrivedAsync(details));
        var assignment = new ReportBsnAssignedRequest { RequestId = ArrivalSteps.NewRequestId(), ArrivalId = arrival.ArrivalId };
        assignment.Assignments.Add(new BsnAssignment { VNumber = details.Travellers[0].VNumber, Bsn = bsns[0] });
        assignment.Assignments.Add(new BsnAssignment { VNumber = details.Travellers[1].VNumber, Bsn = bsns[1] });
        await host.Municipality().ReportBsnAssignedAsync(assignment);
        await host.CheckInAllAsync(arrival);
        await host.Ind().LookupTravellerAsync(new LookupTravellerRequest { VNumber = details.Travellers[0].VNumber });
        // Mistakes that quote personal data back at the gateway.
        var clash = new ReportBsnAssignedRequest { RequestId = ArrivalSteps.NewRequestId(), ArrivalId = arrival.ArrivalId };
        clash.Assignments.Add(new BsnAssignment { VNumber = details.Travellers[0].VNumber, Bsn = bsns[1] });
        await Assert.ThrowsAsync<RpcException>(() => host.Municipality().ReportBsnAssignedAsync(clash).ResponseAsync);
        var twice = TestArrivals.Family("0344");
        twice.Travellers[1].VNumber = twice.Travellers[0].VNumber;
        personalExtra.Add(twice.Travellers[0].VNumber);
        await Assert.ThrowsAsync<RpcException>(() => host.AnnounceAsync(twice)); // a V-number twice in one request
        var inOpenArrival = TestArrivals.Family("0014", 1);
        var open = await host.AnnounceAsync(inOpenArrival);
        await Assert.ThrowsAsync<RpcException>(() => host.AnnounceAsync(inOpenArrival)); // the V-number is in an open arrival
        personalExtra.Add(open.Details.Travellers[0].VNumber);
        await Assert.ThrowsAsync<RpcException>(() => host.Ind().LookupTravellerAsync(new LookupTravellerRequest { VNumber = "12345abc90" }).ResponseAsync);
        await Assert.ThrowsAsync<RpcException>(() => host.Ind(("gemeente-amsterdam")).LookupTravellerAsync(new LookupTravellerRequest { VNumber = details.Travellers[1].VNumber }).ResponseAsync);

        Assert.NotEmpty(logs.Entries);
        string[] personal = [.. details.Travellers.Select(t => t.VNumber), details.Referent.VNumber, .. bsns, .. personalExtra, "Zerihunxq", "Tewoldexq", "Geheimstraatxq", "12345abc90"];
        foreach (var entry in logs.Entries)
        {
            foreach (var value in personal)
            {
                Assert.False(entry.Contains(value, StringComparison.Ordinal), $"A log entry contains personal data: {entry}");
            }
        }
    }
}
