using System.Text;
using ExchangeGateway.Contracts.V1;
using ExchangeGateway.Tests.Fixtures;
using ExchangeGateway.Tests.Shared;
using Google.Protobuf;
using Grpc.Core;

namespace ExchangeGateway.Tests.Limits;

/// <summary>Fuzz finding: bytes in a field the gateway does not know, inside the arrival details,
/// were stored with the arrival and passed on to the municipality unvalidated.</summary>
public sealed class UnknownFieldsTests
{
    private static readonly Marshaller<byte[]> Bytes = Marshallers.Create(b => b, b => b);

    [Fact]
    public async Task AnnounceArrival_UnknownFieldInDetails_NeitherStoredNorPassedOn()
    {
        await using var host = await GatewayHost.StartAsync();
        var municipalityCode = "0014";
        await using var feed = await FeedReader.OpenAsync(host.Feed("gemeente-groningen"));
        var request = new AnnounceArrivalRequest { RequestId = Guid.NewGuid().ToString(), Arrival = TestArrivals.Family(municipalityCode) };
        var smuggled = Encoding.UTF8.GetBytes("BSN 123456782, diagnosis: ...");
        // Field 2 (arrival) a second time: protobuf merges it into the first, so the details get field 999.
        byte[] hidden = [0xBA, 0x3E, (byte)smuggled.Length, .. smuggled];
        byte[] body = [.. request.ToByteArray(), 0x12, (byte)hidden.Length, .. hidden];
        Assert.Equal(hidden.Length, ArrivalDetails.Parser.ParseFrom(AnnounceArrivalRequest.Parser.ParseFrom(body).Arrival.ToByteArray()).CalculateSize() - request.Arrival.CalculateSize());

        var method = new Method<byte[], byte[]>(MethodType.Unary, ArrivalService.Descriptor.FullName, "AnnounceArrival", Bytes, Bytes);
        var answer = ArrivalResponse.Parser.ParseFrom(await host.ChannelFor("coa").CreateCallInvoker().AsyncUnaryCall(method, null, new CallOptions(), body));

        Assert.Equal(request.Arrival, answer.Arrival.Details);
        var stored = await host.Arrivals().GetArrivalAsync(new GetArrivalRequest { ArrivalId = answer.Arrival.ArrivalId });
        Assert.Equal(request.Arrival.CalculateSize(), stored.Arrival.Details.CalculateSize());
        var notice = await feed.NextNoticeAsync();
        Assert.Equal(answer.Arrival.ArrivalId, notice.Subject);
        Assert.Equal(request.Arrival.CalculateSize(), notice.ArrivalAnnounced.Details.CalculateSize());
    }
}
