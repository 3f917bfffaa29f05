using Google.Protobuf;
using Google.Protobuf.Reflection;

namespace ExchangeGateway.Server.Audit;

/// <summary>Finds the data subjects in contract messages: every <c>v_number</c>, <c>v_numbers</c> and
/// <c>bsn</c> field at any depth. Driven by the descriptors, so a field added to the contracts under
/// these names is audited without anyone remembering to.</summary>
internal static class AuditSubjects
{
    private const int MaxDepth = 16;

    public static HashSet<(SubjectKind Kind, string Identifier)> Of(params IMessage?[] messages)
    {
        var found = new HashSet<(SubjectKind, string)>();
        foreach (var message in messages)
        {
            Collect(message, found, 0);
        }
        return found;
    }

    public static void Collect(IMessage? message, HashSet<(SubjectKind, string)> found, int depth)
    {
        if (message is null || depth > MaxDepth)
        {
            return;
        }
        foreach (var field in message.Descriptor.Fields.InFieldNumberOrder())
        {
            var value = field.Accessor.GetValue(message);
            switch (field.FieldType)
            {
                case FieldType.String when KindOf(field.Name) is { } kind:
                    if (field.IsRepeated)
                    {
                        foreach (var item in (System.Collections.IEnumerable)value)
                        {
                            Add(found, kind, (string)item);
                        }
                    }
                    else
                    {
                        Add(found, kind, (string)value);
                    }
                    break;
                case FieldType.Message when field.IsRepeated:
                    foreach (var item in (System.Collections.IEnumerable)value)
                    {
                        Collect(item as IMessage, found, depth + 1);
                    }
                    break;
                case FieldType.Message:
                    Collect(value as IMessage, found, depth + 1);
                    break;
            }
        }
    }

    private static SubjectKind? KindOf(string fieldName) => fieldName switch
    {
        "v_number" or "v_numbers" => SubjectKind.VNumber,
        "bsn" => SubjectKind.Bsn,
        _ => null,
    };

    private static void Add(HashSet<(SubjectKind, string)> found, SubjectKind kind, string identifier)
    {
        if (identifier.Length > 0 && identifier.Length <= 64)
        {
            found.Add((kind, identifier));
        }
    }
}
