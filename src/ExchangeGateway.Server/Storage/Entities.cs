using ExchangeGateway.Contracts.V1;

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
    public ArrivalKind Kind { get; set; }
    public ArrivalState State { get; set; }
    public required string AnnouncedBy { get; set; }
    public DateTime AnnouncedAt { get; set; }
    public DateOnly ExpectedArrivalDate { get; set; }
    public DateTime? AcknowledgedAt { get; set; }
    public DateTime? DepartedAt { get; set; }
    public DateTime? ArrivedAt { get; set; }
    public DateTime? CancelledAt { get; set; }
    public string? CancellationReason { get; set; }
    public long Version { get; set; }

    /// <summary>Announced less than the minimum lead time before the expected arrival.</summary>
    public bool LateAnnouncement { get; set; }

    /// <summary>A <c>ConsentStatus</c>; the other Consent columns describe the latest request.</summary>
    public ConsentStatus ConsentStatus { get; set; }
    public int ConsentHouseholdSize { get; set; }
    public DateTime? ConsentRequestedAt { get; set; }
    public DateOnly? ConsentDecideBy { get; set; }
    public DateTime? ConsentDecidedAt { get; set; }
    public string? ConsentRefusalReason { get; set; }

    /// <summary>When retention removed the personal data of this (closed) arrival; its details and
    /// identifiers are gone, its counts and history stay for the statistics.</summary>
    public DateTime? PersonalDataErasedAt { get; set; }

    public required byte[] Details { get; set; }
    public List<TravellerEntity> Travellers { get; set; } = [];
    public List<ArrivalHistoryEntity> History { get; set; } = [];
    public List<EscalationEntity> Escalations { get; set; } = [];
    public List<DeadlineEntity> Deadlines { get; set; } = [];
}

/// <summary>Registration and BSN status of one traveller of an arrival.</summary>
internal sealed class TravellerEntity
{
    public required string ArrivalId { get; set; }
    public required string VNumber { get; set; }

    /// <summary>The V-number while the arrival is open, null once it is closed. Unique: the database
    /// itself refuses a person in two open arrivals, also when two instances announce them at once.</summary>
    public string? OpenVNumber { get; set; }

    public int Position { get; set; }
    public RegistrationStatus RegistrationStatus { get; set; }
    public DateOnly? RegisteredOn { get; set; }
    public string? RefusalReason { get; set; }
    public string? Bsn { get; set; }
    public string? ANumber { get; set; }
    public DateTime? BsnAssignedAt { get; set; }

    /// <summary>When the IND reported the traveller's check-in (family reunification).</summary>
    public DateTime? CheckedInAt { get; set; }
}

/// <summary>Whom a BSN was reported for: one V-number per BSN, since a BSN is never reused (Wabb art. 8).
/// A table of its own, keyed by the BSN, so that the database refuses a BSN for a second person, also
/// when two instances report it at the same moment. Erased with the last traveller row that carries it.</summary>
internal sealed class BsnHolderEntity
{
    public required string Bsn { get; set; }
    public required string VNumber { get; set; }
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
    public EscalationKind Kind { get; set; }
    public DateTime RaisedAt { get; set; }
    public required string Description { get; set; }
    public DateTime? ResolvedAt { get; set; }
    public string? ResolutionNote { get; set; }
    public string? ResolvedBy { get; set; }
}

/// <summary>An obligation with a due time (consent decision, BRP registration, IND check-in). Added
/// in the transaction that creates the obligation and removed in the one that meets it; the deadline
/// sweep claims a due row by setting <see cref="FiredAt"/> (so it fires once, on one instance).</summary>
internal sealed class DeadlineEntity
{
    public required string Id { get; set; }
    public required string ArrivalId { get; set; }

    /// <summary>The <c>EscalationKind</c> raised when it passes.</summary>
    public EscalationKind Kind { get; set; }
    public DateTime DueAt { get; set; }
    public DateTime? FiredAt { get; set; }
}

/// <summary>A municipality's report of people who turned up without an announcement.</summary>
internal sealed class UnannouncedReportEntity
{
    public required string Id { get; set; }
    public required string MunicipalityCode { get; set; }
    public required string ReportedBy { get; set; }
    public DateTime ReportedAt { get; set; }
    public DateOnly ArrivedOn { get; set; }
    public string? Note { get; set; }
    public List<UnannouncedPersonEntity> Persons { get; set; } = [];
}

/// <summary>One person of an unannounced-arrival report and what the gateway matched.</summary>
internal sealed class UnannouncedPersonEntity
{
    public required string ReportId { get; set; }
    public int Position { get; set; }
    public required string VNumber { get; set; }

    /// <summary>An <c>UnannouncedMatch</c>.</summary>
    public UnannouncedMatch Match { get; set; }
    public string? MatchedArrivalId { get; set; }
    public string? MatchedMunicipalityCode { get; set; }
}

/// <summary>A recipient's feed. <see cref="HeadSequence"/> is the last sequence handed out; it is
/// raised inside the writing transaction, so the row stays locked until commit and sequences of one
/// feed commit in order (see <c>NoticeOutbox</c>).</summary>
internal sealed class FeedEntity
{
    public required string Id { get; set; }
    public long HeadSequence { get; set; }

    /// <summary>Raised when notices of the feed change other than by being added: acknowledged through an
    /// instance that does not deliver the feed, or redacted by retention. The instance that delivers it
    /// reads its unacknowledged notices again when this moves (see <c>FeedHeadPoller</c>).</summary>
    public long Revision { get; set; }
}

/// <summary>Which gateway instance delivers a feed, on a database several instances share: one at a
/// time, so outstanding-once and per-arrival order hold in that instance's memory. Renewed while it
/// holds streams on the feed; taken over when it expires, is released, or is wanted by an instance
/// with a stream that acknowledges while every stream of the holder lets notices time out.</summary>
internal sealed class FeedLeaseEntity
{
    public required string FeedId { get; set; }
    public required string InstanceId { get; set; }
    public DateTime ExpiresAt { get; set; }

    /// <summary>When another instance last asked for the feed (it has a stream that acknowledges).</summary>
    public DateTime? WantedAt { get; set; }
}

/// <summary>What one gateway instance last reported of one feed (see <c>FeedStatusReporter</c>): the
/// streams it holds open and the last acknowledgement it took. The dashboard combines the rows of the
/// instances that reported recently, so several instances show as one gateway.</summary>
internal sealed class FeedPresenceEntity
{
    public required string InstanceId { get; set; }
    public required string FeedId { get; set; }
    public int OpenStreams { get; set; }
    public DateTime? LastAcknowledgedAt { get; set; }
    public DateTime? LastConnectedAt { get; set; }
    public DateTime ReportedAt { get; set; }
}

/// <summary>A feed's backlog at one snapshot: nothing else keeps the history of feed lag. Taken at
/// interval boundaries, so instances that take the same snapshot write the same key and one wins.</summary>
internal sealed class FeedLagSnapshotEntity
{
    public DateTime TakenAt { get; set; }
    public required string FeedId { get; set; }
    public long UnacknowledgedNotices { get; set; }
    public DateTime OldestUnacknowledgedAt { get; set; }

    /// <summary>How long the oldest notice had waited at the snapshot (<see cref="TakenAt"/> minus
    /// <see cref="OldestUnacknowledgedAt"/>), stored so that a day's worst is one MAX in SQL.</summary>
    public long OldestUnacknowledgedAgeSeconds { get; set; }

    /// <summary>On the snapshot's marker row (feed <c>*</c>), which carries the totals of every feed so
    /// the national series reads one row per snapshot: how many feeds had a backlog.</summary>
    public int FeedsWithBacklog { get; set; }

    /// <summary>On the marker row: how many feeds' oldest notice was older than the threshold in effect then.</summary>
    public int StaleFeeds { get; set; }
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

    /// <summary>The data subjects the notice concerns, as the audit log stores them (keyed hashes,
    /// space-separated), computed when the notice is created, so recording its delivery reads no body.
    /// Retention erases them with the notice's personal data.</summary>
    public string? AuditSubjects { get; set; }

    /// <summary>The audit record of the call whose change caused the notice (none for what the gateway
    /// does on its own, e.g. a merger move); a delivery is recorded as a link to it.</summary>
    public long? CauseRecordId { get; set; }

    /// <summary>When the feed's webhook receiver refused the notice (a 4xx answer): it stays
    /// unacknowledged and is not posted again until an operator retries it.</summary>
    public DateTime? ParkedAt { get; set; }

    /// <summary>Why it was parked ("HTTP 404 from https://…"), without personal data.</summary>
    public string? ParkedReason { get; set; }
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

/// <summary>One processing of personal data (Logboek Dataverwerkingen): who did what, when, with
/// which outcome, under which trace. Data subjects are kept only as keyed hashes (see <c>AuditKey</c>).</summary>
internal sealed class AuditRecordEntity
{
    public long Id { get; set; }

    /// <summary>W3C trace id (32 hex), so the record lines up with OpenTelemetry traces.</summary>
    public required string TraceId { get; set; }

    /// <summary>W3C span id (16 hex) of this operation.</summary>
    public required string OperationId { get; set; }

    /// <summary>The caller's span (16 hex) from its <c>traceparent</c>: the operation in the caller's
    /// own processing log that made this call ("foreign operation" in the Logboek Dataverwerkingen
    /// standard); null when the caller sent none.</summary>
    public string? ForeignOperationId { get; set; }

    /// <summary>The gRPC method, e.g. "/exchange.v1.ArrivalService/AnnounceArrival".</summary>
    public required string Operation { get; set; }

    /// <summary>The processing activity of the register (verwerkingsactiviteit).</summary>
    public required string ProcessingActivity { get; set; }
    public required string CallerOin { get; set; }
    public required string OrganisationId { get; set; }

    /// <summary>The gRPC status code name ("OK", "NOT_FOUND", ...).</summary>
    public required string Outcome { get; set; }
    public DateTime StartedAt { get; set; }
    public DateTime EndedAt { get; set; }
    public List<AuditSubjectEntity> Subjects { get; set; } = [];
    public List<AuditDeliveryEntity> Deliveries { get; set; } = [];
}

/// <summary>What a delivery record delivered: the notices caused by one processing (the cause's
/// record holds their data subjects in the searchable index) and, precisely, the subjects those
/// notices name (keyed, space-separated). So a delivery costs one row per cause, not one index entry
/// per person per delivery, and a search by person still finds it: the cause by the index, then the
/// delivery by the link, checked against its own subjects.</summary>
internal sealed class AuditDeliveryEntity
{
    public long RecordId { get; set; }
    public long CauseRecordId { get; set; }
    public required string Subjects { get; set; }
}

/// <summary>A data subject of an audit record: HMAC-SHA256 of its identifier under a key kept
/// outside the database, so the log can be searched by person but not read back.</summary>
internal sealed class AuditSubjectEntity
{
    public long RecordId { get; set; }
    public required string Subject { get; set; }
}
