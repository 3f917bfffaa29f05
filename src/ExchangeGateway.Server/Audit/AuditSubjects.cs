using System.Collections.Concurrent;
using Google.Protobuf;
using Google.Protobuf.Reflection;

namespace ExchangeGateway.Server.Audit;

/// <summary>Finds the data subjects in contract messages: every <c>v_number</c>, <c>v_numbers</c> and
/// <c>bsn</c> field at any depth. Driven by the descriptors, so a field added to the contracts under
/// these names is audited without anyone remembering to. Per message type the fields worth visiting are
/// worked out once (subject fields, and message fields whose type can hold one); a call visits only those.</summary>
internal static class AuditSubjects
{
    private const int MaxDepth = 16;

    private static readonly ConcurrentDictionary<MessageDescriptor, Plan> Plans = new();

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
        var plan = PlanOf(message.Descriptor);
        foreach (var (field, kind) in plan.Subjects)
        {
            var value = field.Accessor.GetValue(message);
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
        }
        foreach (var field in plan.Messages)
        {
            var value = field.Accessor.GetValue(message);
            if (field.IsRepeated)
            {
                foreach (var item in (System.Collections.IEnumerable)value)
                {
                    Collect(item as IMessage, found, depth + 1);
                }
            }
            else
            {
                Collect(value as IMessage, found, depth + 1);
            }
        }
    }

    private static Plan PlanOf(MessageDescriptor descriptor) =>
        Plans.TryGetValue(descriptor, out var plan) ? plan : Plans.GetOrAdd(descriptor, Build(descriptor));

    private static Plan Build(MessageDescriptor descriptor)
    {
        var subjects = new List<(FieldDescriptor, SubjectKind)>();
        var messages = new List<FieldDescriptor>();
        foreach (var field in descriptor.Fields.InFieldNumberOrder())
        {
            if (field.FieldType == FieldType.String && KindOf(field.Name) is { } kind)
            {
                subjects.Add((field, kind));
            }
            else if (field.FieldType == FieldType.Message && !field.IsMap && CanHoldSubjects(field.MessageType, []))
            {
                messages.Add(field);
            }
        }
        return new Plan([.. subjects], [.. messages]);
    }

    /// <summary>Whether a message of this type can contain a subject field at some depth.</summary>
    private static bool CanHoldSubjects(MessageDescriptor descriptor, HashSet<MessageDescriptor> visiting)
    {
        if (!visiting.Add(descriptor))
        {
            return false; // a cycle adds nothing new
        }
        foreach (var field in descriptor.Fields.InFieldNumberOrder())
        {
            if (field.FieldType == FieldType.String && KindOf(field.Name) is not null
                || field.FieldType == FieldType.Message && !field.IsMap && CanHoldSubjects(field.MessageType, visiting))
            {
                return true;
            }
        }
        return false;
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

    private sealed record Plan((FieldDescriptor Field, SubjectKind Kind)[] Subjects, FieldDescriptor[] Messages);
}
