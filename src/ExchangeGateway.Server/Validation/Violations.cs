using Google.Rpc;

namespace ExchangeGateway.Server.Validation;

/// <summary>Collects every field violation of a request, so the caller learns all of them at once.
/// Field paths follow the proto field names: <c>arrival.travellers[1].birth_date</c>.</summary>
internal sealed class Violations
{
    private readonly List<BadRequest.Types.FieldViolation> _violations = [];

    public bool Any => _violations.Count > 0;

    public IReadOnlyList<BadRequest.Types.FieldViolation> Items => _violations;

    public void Add(string field, string description) =>
        _violations.Add(new BadRequest.Types.FieldViolation { Field = field, Description = description });

    public void ThrowIfAny()
    {
        if (Any)
        {
            throw GatewayErrors.InvalidArgument(_violations);
        }
    }

    /// <summary>Required text of at most <paramref name="maxLength"/> printable characters.</summary>
    public void RequireText(string field, string? value, int maxLength)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            Add(field, "is required");
        }
        else
        {
            OptionalText(field, value, maxLength);
        }
    }

    /// <summary>Optional text: at most <paramref name="maxLength"/> characters, no control characters.</summary>
    public void OptionalText(string field, string? value, int maxLength)
    {
        if (string.IsNullOrEmpty(value))
        {
            return;
        }
        if (value.Length > maxLength)
        {
            Add(field, $"must be at most {maxLength} characters");
        }
        else if (value.Any(char.IsControl))
        {
            Add(field, "must not contain control characters");
        }
        else if (value.Any(char.IsSurrogate) && !IsWellFormedUtf16(value))
        {
            Add(field, "is not well-formed text");
        }
    }

    private static bool IsWellFormedUtf16(string value)
    {
        for (var i = 0; i < value.Length; i++)
        {
            if (char.IsHighSurrogate(value[i]) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(value[i]))
            {
                return false;
            }
        }
        return true;
    }
}
