namespace ExchangeGateway.Server.Storage;

// Entities are plain rows: the gateway's rules live in the feature folders, not here. Times are UTC
// DateTime (not DateTimeOffset) because SQLite can order and compare those in queries.

/// <summary>One household moving into a municipality. The announced details are kept as the
/// protobuf <c>ArrivalDetails</c> they arrived in; the columns beside it are what queries filter on.</summary>
internal sealed class ArrivalEntity
{
    /// <summary>A version 7 UUID in lower case, so ordering by id is ordering by creation time.</summary>
    public required string Id { get; set; }
    public required string CaseReference { get; set; }
    public required string MunicipalityCode { get; set; }
    public int Kind { get; set; }
    public int State { get; set; }
    public required string AnnouncedBy { get; set; }
    public DateTime AnnouncedAt { get; set; }
    public DateOnly ExpectedArrivalDate { get; set; }
    public DateTime? AcknowledgedAt { get; set; }
    public DateTime? DepartedAt { get; set; }
    public DateTime? ArrivedAt { get; set; }
    public DateTime? CancelledAt { get; set; }
    public string? CancellationReason { get; set; }
    public long Version { get; set; }
    public required byte[] Details { get; set; }
    public List<TravellerEntity> Travellers { get; set; } = [];
    public List<ArrivalHistoryEntity> History { get; set; } = [];
    public List<EscalationEntity> Escalations { get; set; } = [];
}

/// <summary>Registration and BSN status of one traveller of an arrival.</summary>
internal sealed class TravellerEntity
{
    public required string ArrivalId { get; set; }
    public required string VNumber { get; set; }
    public int Position { get; set; }
    public int RegistrationStatus { get; set; }
    public DateOnly? RegisteredOn { get; set; }
    public string? RefusalReason { get; set; }
    public string? Bsn { get; set; }
    public string? ANumber { get; set; }
    public DateTime? BsnAssignedAt { get; set; }
}

/// <summary>One step of an arrival's history. Descriptions never carry personal data.</summary>
internal sealed class ArrivalHistoryEntity
{
    public long Id { get; set; }
    public required string ArrivalId { get; set; }
    public DateTime At { get; set; }
    public required string Actor { get; set; }
    public required string Action { get; set; }
    public required string Description { get; set; }
}

/// <summary>Something overdue about an arrival, raised by the gateway; open until resolved.</summary>
internal sealed class EscalationEntity
{
    public required string Id { get; set; }
    public required string ArrivalId { get; set; }
    public int Kind { get; set; }
    public DateTime RaisedAt { get; set; }
    public required string Description { get; set; }
    public DateTime? ResolvedAt { get; set; }
    public string? ResolutionNote { get; set; }
}

/// <summary>A recipient's feed. <see cref="HeadSequence"/> is the last sequence handed out; it is
/// raised inside the writing transaction, so the row stays locked until commit and sequences of one
/// feed commit in order (see <c>NoticeOutbox</c>).</summary>
internal sealed class FeedEntity
{
    public required string Id { get; set; }
    public long HeadSequence { get; set; }
}

/// <summary>A notice in a feed. <see cref="Body"/> is the protobuf <c>Notice</c> without its
/// sequence and delivery count, which are added when it is sent.</summary>
internal sealed class NoticeEntity
{
    public required string FeedId { get; set; }
    public long Sequence { get; set; }
    public required string NoticeId { get; set; }
    public required string Type { get; set; }
    public required string Subject { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime? AcknowledgedAt { get; set; }

    /// <summary>When the acknowledgement deadline escalated this notice (once).</summary>
    public DateTime? EscalatedAt { get; set; }

    public required byte[] Body { get; set; }
}

/// <summary>The first answer to a mutating request, kept so a retry gets the same answer.</summary>
internal sealed class IdempotencyEntity
{
    public required string OrganisationId { get; set; }
    public required string RequestId { get; set; }
    public required string Method { get; set; }
    public required byte[] RequestHash { get; set; }
    public required byte[] Response { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime ExpiresAt { get; set; }
}
