using System.Buffers;
using ExchangeGateway.Contracts.V1;
using Google.Protobuf;
using Grpc.Core;

namespace ExchangeGateway.Server.Feed;

/// <summary>A message on a Subscribe stream, as the server writes it. A notice goes out as the bytes it
/// was stored with, framed as <c>SubscribeResponse.notice</c> with its <c>sequence</c> and
/// <c>redelivery_count</c> appended (protobuf lets fields follow in any order): a send copies bytes,
/// it does not parse, clone or serialize the notice again. Other events are serialized as usual. On the
/// wire it is a <see cref="SubscribeResponse"/>; clients see no difference.</summary>
internal sealed class FeedMessage
{
    private const byte NoticeTag = (2 << 3) | 2;          // SubscribeResponse.notice, length-delimited
    private const byte SequenceTag = 2 << 3;              // Notice.sequence, varint
    private const byte RedeliveryCountTag = 8 << 3;       // Notice.redelivery_count, varint

    private readonly byte[]? _body;
    private readonly ulong _sequence;
    private readonly uint _redeliveryCount;
    private readonly SubscribeResponse? _event;

    private FeedMessage(byte[]? body, ulong sequence, uint redeliveryCount, SubscribeResponse? @event)
    {
        _body = body;
        _sequence = sequence;
        _redeliveryCount = redeliveryCount;
        _event = @event;
    }

    public static Marshaller<FeedMessage> Marshaller { get; } = Marshallers.Create<FeedMessage>(
        static (message, context) => message.WriteTo(context),
        static _ => throw new NotSupportedException("The server only writes feed messages."));

    public bool IsNotice => _body is not null;

    /// <summary>A notice written to a stream before (its redelivery_count is above zero).</summary>
    public bool IsRedelivery => _redeliveryCount > 0;

    /// <summary>A notice from its stored body (a serialized <see cref="Notice"/> without sequence and count).</summary>
    public static FeedMessage ForNotice(byte[] body, long sequence, uint redeliveryCount) => new(body, (ulong)sequence, redeliveryCount, null);

    public static FeedMessage ForEvent(SubscribeResponse @event) => new(null, 0, 0, @event);

    /// <summary>What a client parses this message as (tests and tools).</summary>
    public SubscribeResponse ToResponse()
    {
        var buffer = new ArrayBufferWriter<byte>();
        Write(buffer);
        return SubscribeResponse.Parser.ParseFrom(buffer.WrittenSpan);
    }

    private void WriteTo(SerializationContext context)
    {
        if (_event is not null)
        {
            context.Complete(_event.ToByteArray());
            return;
        }
        context.SetPayloadLength(Length);
        Write(context.GetBufferWriter());
        context.Complete();
    }

    private int NoticeLength => _body!.Length + 1 + CodedOutputStream.ComputeUInt64Size(_sequence)
        + (_redeliveryCount > 0 ? 1 + CodedOutputStream.ComputeUInt32Size(_redeliveryCount) : 0);

    private int Length => _event?.CalculateSize() ?? 1 + CodedOutputStream.ComputeLengthSize(NoticeLength) + NoticeLength;

    private void Write(IBufferWriter<byte> output)
    {
        if (_event is not null)
        {
            output.Write(_event.ToByteArray());
            return;
        }
        var length = Length;
        var span = output.GetSpan(length);
        var at = 0;
        span[at++] = NoticeTag;
        at += WriteVarint(span[at..], (uint)NoticeLength);
        _body!.CopyTo(span[at..]);
        at += _body!.Length;
        span[at++] = SequenceTag;
        at += WriteVarint(span[at..], _sequence);
        if (_redeliveryCount > 0)
        {
            span[at++] = RedeliveryCountTag;
            at += WriteVarint(span[at..], _redeliveryCount);
        }
        output.Advance(at);
    }

    private static int WriteVarint(Span<byte> span, ulong value)
    {
        var at = 0;
        while (value >= 0x80)
        {
            span[at++] = (byte)(value | 0x80);
            value >>= 7;
        }
        span[at++] = (byte)value;
        return at;
    }
}
