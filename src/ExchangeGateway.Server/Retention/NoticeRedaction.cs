using System.Collections.Frozen;
using ExchangeGateway.Contracts.V1;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Google.Protobuf.WellKnownTypes;

namespace ExchangeGateway.Server.Retention;

/// <summary>What is left of a stored notice once the personal data of its subject is erased. The
/// notice keeps its row, sequence and envelope (notice id, type, time, source, subject: by contract
/// never personal data), so the feed keeps running 1..head without gaps, a replay still finds it and
/// an acknowledgement still closes it. Of the payload only values that cannot identify anyone stay:
/// numbers, enums, flags, timestamps and the ids and codes listed here. Text, lists, dates and nested
/// messages go. It works by reflection, not per payload type, so a payload added later is stripped
/// too instead of being forgotten here.</summary>
internal static class NoticeRedaction
{
    private static readonly FrozenSet<string> KeptText = FrozenSet.ToFrozenSet(
        ["arrival_id", "report_id", "municipality_code", "overdue_feed", "overdue_type"], StringComparer.Ordinal);

    private static readonly OneofDescriptor Payload = Notice.Descriptor.Oneofs.Single(o => o.Name == "payload");

    public static byte[] Redact(byte[] body)
    {
        var notice = Notice.Parser.ParseFrom(body);
        var redacted = new Notice();
        foreach (var field in Notice.Descriptor.Fields.InFieldNumberOrder())
        {
            if (field.ContainingOneof != Payload && !field.IsRepeated)
            {
                field.Accessor.SetValue(redacted, field.Accessor.GetValue(notice));
            }
        }
        if (Payload.Accessor.GetCaseFieldDescriptor(notice) is { } payloadField)
        {
            payloadField.Accessor.SetValue(redacted, Strip((IMessage)payloadField.Accessor.GetValue(notice)));
        }
        return redacted.ToByteArray();
    }

    private static IMessage Strip(IMessage source)
    {
        var target = source.Descriptor.Parser.ParseFrom(ByteString.Empty);
        foreach (var field in source.Descriptor.Fields.InFieldNumberOrder())
        {
            if (field.IsRepeated || field.IsMap || !Keeps(field))
            {
                continue;
            }
            var value = field.Accessor.GetValue(source);
            if (value is not null)
            {
                field.Accessor.SetValue(target, value);
            }
        }
        return target;
    }

    private static bool Keeps(FieldDescriptor field) => field.FieldType switch
    {
        FieldType.String => KeptText.Contains(field.Name),
        FieldType.Bytes or FieldType.Group => false,
        FieldType.Message => field.MessageType.FullName == Timestamp.Descriptor.FullName,
        _ => true,
    };
}
