using System.Collections;
using System.Text;
using Google.Protobuf;
using Google.Protobuf.Reflection;

namespace ExchangeGateway.EndToEnd.Fuzz;

/// <summary>One fuzz input: the bytes sent as the request message and how they were made.</summary>
public sealed record FuzzCase(string Kind, byte[] Body);

/// <summary>Makes hostile request bodies: random bytes, and valid requests with fields set to hostile
/// values through protobuf reflection (huge and odd strings, extreme and negative numbers, unknown
/// enum values, cleared or 10,000-entry repeated fields) and then, at the byte level, unknown fields,
/// invalid UTF-8, groups nested past the parser's limit, and flipped, inserted, deleted or cut bytes.</summary>
public sealed class Mutator(Random random)
{
    private static readonly string[] HostileStrings =
    [
        "", " ", "\t\r\n", "\0", "a\0b", "\u0007\u001b[31m", "\uD800", "\uDC00x", "\u202Eevil", "😀😀😀", "ｆｕｌｌ", "Ä̸̢͕",
        "'; DROP TABLE arrivals; --", "%s%n%x", "../../etc/passwd", "${jndi:ldap://x}", "<script>", "0000000000", "-1",
        "00000000-0000-0000-0000-000000000000", "FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF", "dGVzdA==", "v1:", "999999999", "123456782",
        new string('A', 65), new string('x', 501), new string('9', 11), new string('é', 4000),
    ];

    // A repeated message field is filled with copies of its first entry only up to this size.
    private const int SmallEntryBytes = 1024;

    // Bodies past this are cut rather than doubled: far over the gateway's message size limit already.
    private const int MaxDuplicatedBytes = 8 * 1024 * 1024;

    public FuzzCase RandomBytes()
    {
        var length = random.Next(10) switch
        {
            0 => 0,
            < 8 => random.Next(1, 256),
            8 => random.Next(256, 8192),
            _ => random.Next(8192, 64 * 1024),
        };
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return new FuzzCase("random-bytes", bytes);
    }

    public FuzzCase Mutate(IMessage seed)
    {
        var message = Copy(seed);
        var kinds = new List<string>();
        var fieldMutations = random.Next(0, 4);
        for (var i = 0; i < fieldMutations; i++)
        {
            kinds.Add(MutateField(message, depth: 0));
        }
        var bytes = message.ToByteArray();
        if (random.Next(2) == 0)
        {
            var (kind, mutated) = MutateBytes(bytes, message.Descriptor);
            kinds.Add(kind);
            bytes = mutated;
        }
        return new FuzzCase(kinds.Count == 0 ? "valid-seed" : string.Join('+', kinds), bytes);
    }

    private string MutateField(IMessage message, int depth)
    {
        var fields = message.Descriptor.Fields.InFieldNumberOrder();
        if (fields.Count == 0)
        {
            return "no-fields";
        }
        var field = fields[random.Next(fields.Count)];
        try
        {
            if (field.IsRepeated)
            {
                return MutateRepeated(message, field);
            }
            if (field.FieldType == FieldType.Message)
            {
                var child = (IMessage?)field.Accessor.GetValue(message);
                if (random.Next(4) == 0)
                {
                    field.Accessor.Clear(message);
                    return $"{field.Name}=null";
                }
                if (child is null)
                {
                    child = field.MessageType.Parser.ParseFrom(ByteString.Empty);
                    field.Accessor.SetValue(message, child);
                }
                return depth < 6 ? $"{field.Name}.{MutateField(child, depth + 1)}" : "too-deep";
            }
            var value = HostileValue(field);
            field.Accessor.SetValue(message, value);
            return $"{field.Name}={Describe(value)}";
        }
        catch (Exception e) when (e is ArgumentException or InvalidCastException or InvalidOperationException)
        {
            return $"{field.Name}:skipped";
        }
    }

    private string MutateRepeated(IMessage message, FieldDescriptor field)
    {
        var list = (IList)field.Accessor.GetValue(message);
        switch (random.Next(4))
        {
            case 0:
                list.Clear();
                return $"{field.Name}=[]";
            case 1:
                // 10,000 small entries: under the message size limit, far over every count limit.
                var count = 10_000;
                for (var i = 0; i < count; i++)
                {
                    list.Add(SmallElement(field, list, i));
                }
                return $"{field.Name}+={count}";
            case 2 when list.Count > 0 && field.FieldType == FieldType.Message:
                return $"{field.Name}[0].{MutateField((IMessage)list[0]!, 1)}";
            default:
                list.Add(field.FieldType == FieldType.Message ? field.MessageType.Parser.ParseFrom(ByteString.Empty) : HostileValue(field));
                return $"{field.Name}+=1";
        }
    }

    private object SmallElement(FieldDescriptor field, IList list, int i) => field.FieldType switch
    {
        // Copies of the first entry only while it is small: 10,000 copies of one holding a hostile
        // 300,000-character string made a 3 GB message, and doubling its bytes overflowed an int.
        FieldType.Message => list.Count > 0 && random.Next(2) == 0 && ((IMessage)list[0]!).CalculateSize() <= SmallEntryBytes
            ? Copy((IMessage)list[0]!)
            : field.MessageType.Parser.ParseFrom(ByteString.Empty),
        FieldType.String => (i % 100).ToString(System.Globalization.CultureInfo.InvariantCulture),
        FieldType.UInt64 or FieldType.Fixed64 => (ulong)(i + 1),
        FieldType.Int64 or FieldType.SInt64 or FieldType.SFixed64 => (long)i,
        FieldType.Bool => i % 2 == 0,
        FieldType.Enum => i % 5,
        _ => HostileValue(field),
    };

    private object HostileValue(FieldDescriptor field) => field.FieldType switch
    {
        FieldType.String => HostileString(),
        FieldType.Bytes => ByteString.CopyFrom(RandomBytes().Body),
        FieldType.Bool => random.Next(2) == 0,
        FieldType.Int32 or FieldType.SInt32 or FieldType.SFixed32 => Pick(0, -1, 1, int.MinValue, int.MaxValue, random.Next(-100_000, 100_000), 10_000, 1900, 2026, 13, 32),
        FieldType.UInt32 or FieldType.Fixed32 => Pick(0u, 1u, uint.MaxValue, (uint)random.Next(), 1001u),
        FieldType.Int64 or FieldType.SInt64 or FieldType.SFixed64 => Pick(0L, -1L, long.MinValue, long.MaxValue, random.NextInt64(), 253_402_300_800L, -62_135_596_801L),
        FieldType.UInt64 or FieldType.Fixed64 => Pick(0UL, 1UL, ulong.MaxValue, (ulong)long.MaxValue + 1, (ulong)random.NextInt64()),
        FieldType.Double => Pick(double.NaN, double.PositiveInfinity, -0.0, double.MaxValue),
        FieldType.Float => Pick(float.NaN, float.NegativeInfinity, float.MaxValue),
        FieldType.Enum => Pick(0, 1, 2, 3, 4, 5, -1, 99, int.MaxValue, int.MinValue),
        _ => throw new InvalidOperationException("no hostile value for " + field.FieldType),
    };

    private string HostileString() => random.Next(10) switch
    {
        0 => new string('A', random.Next(1, 3) == 1 ? 50_000 : 300_000),
        1 => RandomUnicode(random.Next(1, 300)),
        _ => HostileStrings[random.Next(HostileStrings.Length)],
    };

    private string RandomUnicode(int length)
    {
        var builder = new StringBuilder(length);
        for (var i = 0; i < length; i++)
        {
            builder.Append((char)random.Next(0, 0xFFFF));
        }
        return builder.ToString();
    }

    private (string Kind, byte[] Bytes) MutateBytes(byte[] bytes, MessageDescriptor descriptor)
    {
        var output = new List<byte>(bytes);
        switch (random.Next(9))
        {
            case 0 when output.Count > 0:
                for (var i = 0; i < random.Next(1, 8); i++)
                {
                    var at = random.Next(output.Count);
                    output[at] ^= (byte)(1 << random.Next(8));
                }
                return ("bit-flips", [.. output]);
            case 1:
                var insert = new byte[random.Next(1, 32)];
                random.NextBytes(insert);
                output.InsertRange(random.Next(output.Count + 1), insert);
                return ("insert", [.. output]);
            case 2 when output.Count > 1:
                var from = random.Next(output.Count);
                output.RemoveRange(from, random.Next(1, output.Count - from + 1));
                return ("delete", [.. output]);
            case 3:
                return ("unknown-fields", [.. output, .. UnknownFields()]);
            case 4 when StringFieldNumber(descriptor) is { } number:
                // A length-delimited field of a string field's number whose bytes are not UTF-8.
                byte[] invalid = [0xC3, 0x28, 0xFF, 0xFE, 0xED, 0xA0, 0x80];
                return ("invalid-utf8", [.. output, .. Tag(number, 2), (byte)invalid.Length, .. invalid]);
            case 5:
                // Unknown start-groups nested deeper than protobuf's recursion limit (100).
                // (0x4B: field 9, start group; 0x4C: its end group.)
                var depth = random.Next(50, 5000);
                return ($"nested-groups-{depth}", [.. output, .. Enumerable.Repeat((byte)0x4B, depth), .. Enumerable.Repeat((byte)0x4C, depth)]);
            case 7 when MessageFieldNumber(descriptor) is { } nested:
                // A second occurrence of a message field merges into the first: unknown fields inside
                // a nested message (such as the arrival details that are stored and passed on).
                var unknown = UnknownFields().ToArray();
                return ("nested-unknown-fields", [.. output, .. Tag(nested, 2), (byte)unknown.Length, .. unknown]);
            case 6:
                return ("negative-length", [.. output, 0x0A, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F]);
            default:
                return output.Count > MaxDuplicatedBytes ? ("cut", [.. output[..(output.Count / 2)]]) : ("duplicated", [.. output, .. output]);
        }
    }

    private IEnumerable<byte> UnknownFields()
    {
        // At most 3 fields of at most 26 bytes: the whole fits a one-byte length.
        var result = new List<byte>();
        var count = random.Next(1, 4);
        for (var i = 0; i < count; i++)
        {
            var number = random.Next(16, 100_000);
            switch (random.Next(4))
            {
                case 0:
                    result.AddRange([.. Tag(number, 0), 0x96, 0x01]);
                    break;
                case 1:
                    result.AddRange([.. Tag(number, 1), 1, 2, 3, 4, 5, 6, 7, 8]);
                    break;
                case 2:
                    result.AddRange([.. Tag(number, 5), 1, 2, 3, 4]);
                    break;
                default:
                    var payload = Encoding.UTF8.GetBytes("smuggled personal data");
                    result.AddRange([.. Tag(number, 2), (byte)payload.Length, .. payload]);
                    break;
            }
        }
        return result;
    }

    private int? StringFieldNumber(MessageDescriptor descriptor)
    {
        var strings = descriptor.Fields.InFieldNumberOrder().Where(f => f.FieldType == FieldType.String).ToList();
        return strings.Count == 0 ? null : strings[random.Next(strings.Count)].FieldNumber;
    }

    private int? MessageFieldNumber(MessageDescriptor descriptor)
    {
        var messages = descriptor.Fields.InFieldNumberOrder().Where(f => f.FieldType == FieldType.Message && !f.IsRepeated).ToList();
        return messages.Count == 0 ? null : messages[random.Next(messages.Count)].FieldNumber;
    }

    private static byte[] Tag(int number, int wireType)
    {
        var bytes = new List<byte>();
        var value = ((uint)number << 3) | (uint)wireType;
        while (value >= 0x80)
        {
            bytes.Add((byte)(value | 0x80));
            value >>= 7;
        }
        bytes.Add((byte)value);
        return [.. bytes];
    }

    private static IMessage Copy(IMessage message) => message.Descriptor.Parser.ParseFrom(message.ToByteString());

    private T Pick<T>(params T[] values) => values[random.Next(values.Length)];

    private static string Describe(object? value) => value switch
    {
        string s when s.Length > 20 => $"string[{s.Length}]",
        string s => $"\"{s}\"",
        _ => Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) ?? "null",
    };
}
