using System.Data.Common;
using System.Text.Json;

namespace ExchangeGateway.Server.Storage;

/// <summary>A notice row as the outbox writes it.</summary>
internal readonly record struct NoticeRow(string FeedId, long Sequence, string NoticeId, string Type, string Subject, DateTime CreatedAt, byte[] Body, string AuditSubjects, long? CauseRecordId);

/// <summary>A notice the acknowledgement just marked: what its effects need. <see cref="LegacyBody"/>
/// is the body only for a notice stored before audit subjects were kept with it.</summary>
internal readonly record struct AcknowledgedRow(long Sequence, string Type, string Subject, string? AuditSubjects, byte[]? LegacyBody, long? CauseRecordId);

/// <summary>Part of a delivery record: the notices of one cause it delivered, with their subjects.</summary>
internal readonly record struct DeliveredCause(long CauseRecordId, string Subjects);

/// <summary>An arrival history entry written set-based.</summary>
internal readonly record struct HistoryRow(string ArrivalId, DateTime At, string Actor, string Action, string Description);

/// <summary>The statements of the write path that run set-based on the provider's own ADO.NET, inside
/// the transaction of the unit of work (EF Core keeps the model, the migrations, the queries and the
/// rare paths). One class per provider; what they write is checked against the EF model by the storage
/// tests on SQLite and PostgreSQL (SQL Server: no server here, the statements are written to the same
/// shape).</summary>
internal abstract partial class StorageStatements
{
    public static StorageStatements For(StorageProvider provider) => provider switch
    {
        StorageProvider.Sqlite => new SqliteStatements(),
        StorageProvider.PostgreSql => new PostgresStatements(),
        StorageProvider.SqlServer => new SqlServerStatements(),
        _ => throw new ArgumentOutOfRangeException(nameof(provider), provider, "Unknown storage provider."),
    };

    /// <summary>Raises the feed's head by <paramref name="count"/> (creating the feed row) and returns the
    /// new head. The row stays locked until commit, so a feed's sequences commit in order.</summary>
    public abstract Task<long> RaiseHeadAsync(DbConnection connection, DbTransaction transaction, string feed, int count, CancellationToken cancellationToken);

    public abstract Task InsertNoticesAsync(DbConnection connection, DbTransaction transaction, IReadOnlyList<NoticeRow> rows, CancellationToken cancellationToken);

    /// <summary>Marks the unacknowledged ones of <paramref name="sequences"/> acknowledged and returns them.</summary>
    public abstract Task<List<AcknowledgedRow>> AcknowledgeAsync(DbConnection connection, DbTransaction transaction, string feed, long[] sequences, DateTime now, CancellationToken cancellationToken);

    /// <summary>The arrivals among <paramref name="arrivalIds"/> addressed to <paramref name="municipalityCode"/>:
    /// received now (the first time counts), announced ones become acknowledged, version raised. Returns
    /// id and case reference of each.</summary>
    public abstract Task<List<(string Id, string CaseReference)>> MarkReceivedAsync(DbConnection connection, DbTransaction transaction,
        string municipalityCode, string[] arrivalIds, DateTime now, int announced, int acknowledged, CancellationToken cancellationToken);

    public abstract Task InsertHistoryAsync(DbConnection connection, DbTransaction transaction, IReadOnlyList<HistoryRow> rows, CancellationToken cancellationToken);

    /// <summary>Writes an audit record with its (already keyed) subjects and, for a delivery, the causes
    /// of what it delivered; returns the record's id.</summary>
    public abstract Task<long> InsertAuditRecordAsync(DbConnection connection, DbTransaction transaction, AuditRecordEntity record, IReadOnlyCollection<string> subjects,
        IReadOnlyCollection<DeliveredCause> deliveries, CancellationToken cancellationToken);

    /// <summary>Raises the revision of these feeds (see <see cref="FeedEntity.Revision"/>).</summary>
    public abstract Task RaiseRevisionAsync(DbConnection connection, DbTransaction transaction, IReadOnlyCollection<string> feeds, CancellationToken cancellationToken);

    /// <summary>Sets up the writer's long-lived connection once it is open.</summary>
    public virtual Task OpenWriterAsync(DbConnection connection, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Tells the other instances on the database, if the provider can (inside the transaction,
    /// so they hear of it only if and when it commits). Where it cannot they find out by polling.</summary>
    public virtual Task SignalAsync(DbConnection connection, DbTransaction transaction, IReadOnlyCollection<Feed.FeedSignal> signals, CancellationToken cancellationToken) =>
        Task.CompletedTask;

    // ---- Feed leases (databases several instances share; run outside any write, one statement each) ----

    /// <summary>Takes the feed's lease for <paramref name="instance"/> if it is free, expired or already
    /// its own; whether it now holds it.</summary>
    public virtual Task<bool> AcquireLeaseAsync(DbConnection connection, string feed, string instance, TimeSpan duration, CancellationToken cancellationToken) =>
        throw new NotSupportedException("Feed leases are for databases several instances share.");

    /// <summary>Extends the leases <paramref name="instance"/> holds among <paramref name="feeds"/>;
    /// returns those it still holds, each with whether another instance asked for it within <paramref name="recent"/>.</summary>
    public virtual Task<List<(string Feed, bool Wanted)>> RenewLeasesAsync(DbConnection connection, IReadOnlyCollection<string> feeds, string instance, TimeSpan duration, TimeSpan recent, CancellationToken cancellationToken) =>
        throw new NotSupportedException("Feed leases are for databases several instances share.");

    /// <summary>Asks the holder of the feed's lease to let go when its streams do not acknowledge.</summary>
    public virtual Task WantLeaseAsync(DbConnection connection, string feed, string instance, CancellationToken cancellationToken) =>
        throw new NotSupportedException("Feed leases are for databases several instances share.");

    public virtual Task ReleaseLeaseAsync(DbConnection connection, string feed, string instance, CancellationToken cancellationToken) =>
        throw new NotSupportedException("Feed leases are for databases several instances share.");

    protected static DbCommand Command(DbConnection connection, DbTransaction? transaction, string sql)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        return command;
    }

    protected static DbParameter Add(DbCommand command, string name, object? value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value ?? DBNull.Value;
        command.Parameters.Add(parameter);
        return parameter;
    }

    protected static string Json<T>(T[] values) => JsonSerializer.Serialize(values);

    protected static async Task<List<AcknowledgedRow>> ReadAcknowledgedAsync(DbCommand command, CancellationToken cancellationToken)
    {
        var rows = new List<AcknowledgedRow>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(new AcknowledgedRow(reader.GetInt64(0), reader.GetString(1), reader.GetString(2),
                reader.IsDBNull(3) ? null : reader.GetString(3), reader.IsDBNull(4) ? null : (byte[])reader.GetValue(4),
                reader.IsDBNull(5) ? null : reader.GetInt64(5)));
        }
        return rows;
    }

    protected static async Task<List<(string, string)>> ReadPairsAsync(DbCommand command, CancellationToken cancellationToken)
    {
        var rows = new List<(string, string)>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add((reader.GetString(0), reader.GetString(1)));
        }
        return rows;
    }
}

/// <summary>SQLite: one prepared statement executed per row (no round trip to pay), sets passed as a
/// JSON array read with <c>json_each</c>, <c>RETURNING</c> for what an update changed.</summary>
internal sealed class SqliteStatements : StorageStatements
{
    /// <summary>A page cache of 32 MiB for the writer (SQLite's default is 2 MiB): the indexes with
    /// keys spread over the 342 municipalities and the audit subjects need more pages than that at
    /// once, and each miss is a read from the file. Only the writer: every pooled reader's cache is extra
    /// memory.</summary>
    public override async Task OpenWriterAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA cache_size=-32768;";
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public override async Task<long> RaiseHeadAsync(DbConnection connection, DbTransaction transaction, string feed, int count, CancellationToken cancellationToken)
    {
        var command = Prepared(connection, transaction,
            "INSERT INTO \"Feeds\" (\"Id\", \"HeadSequence\", \"Revision\") VALUES ($feed, $count, 0) " +
            "ON CONFLICT (\"Id\") DO UPDATE SET \"HeadSequence\" = \"HeadSequence\" + excluded.\"HeadSequence\" RETURNING \"HeadSequence\"", "$feed", "$count");
        Set(command, feed, count);
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    public override async Task InsertNoticesAsync(DbConnection connection, DbTransaction transaction, IReadOnlyList<NoticeRow> rows, CancellationToken cancellationToken)
    {
        var command = Prepared(connection, transaction,
            "INSERT INTO \"Notices\" (\"FeedId\", \"Sequence\", \"NoticeId\", \"Type\", \"Subject\", \"CreatedAt\", \"Body\", \"AuditSubjects\", \"CauseRecordId\") " +
            "VALUES ($feed, $sequence, $id, $type, $subject, $created, $body, $audit, $cause)",
            "$feed", "$sequence", "$id", "$type", "$subject", "$created", "$body", "$audit", "$cause");
        foreach (var row in rows)
        {
            Set(command, row.FeedId, row.Sequence, row.NoticeId, row.Type, row.Subject, row.CreatedAt, row.Body, row.AuditSubjects, row.CauseRecordId);
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    public override async Task<List<AcknowledgedRow>> AcknowledgeAsync(DbConnection connection, DbTransaction transaction, string feed, long[] sequences, DateTime now, CancellationToken cancellationToken)
    {
        var command = Prepared(connection, transaction,
            "UPDATE \"Notices\" SET \"AcknowledgedAt\" = $now WHERE \"FeedId\" = $feed AND \"AcknowledgedAt\" IS NULL " +
            "AND \"Sequence\" IN (SELECT value FROM json_each($sequences)) " +
            "RETURNING \"Sequence\", \"Type\", \"Subject\", \"AuditSubjects\", CASE WHEN \"AuditSubjects\" IS NULL THEN \"Body\" END, \"CauseRecordId\"",
            "$now", "$feed", "$sequences");
        Set(command, now, feed, Json(sequences));
        return await ReadAcknowledgedAsync(command, cancellationToken);
    }

    public override async Task<List<(string Id, string CaseReference)>> MarkReceivedAsync(DbConnection connection, DbTransaction transaction,
        string municipalityCode, string[] arrivalIds, DateTime now, int announced, int acknowledged, CancellationToken cancellationToken)
    {
        var command = Prepared(connection, transaction,
            "UPDATE \"Arrivals\" SET \"AcknowledgedAt\" = COALESCE(\"AcknowledgedAt\", $now), " +
            "\"State\" = CASE WHEN \"State\" = $announced THEN $acknowledged ELSE \"State\" END, \"Version\" = \"Version\" + 1 " +
            "WHERE \"MunicipalityCode\" = $code AND \"Id\" IN (SELECT value FROM json_each($ids)) RETURNING \"Id\", \"CaseReference\"",
            "$now", "$announced", "$acknowledged", "$code", "$ids");
        Set(command, now, announced, acknowledged, municipalityCode, Json(arrivalIds));
        return await ReadPairsAsync(command, cancellationToken);
    }

    public override async Task InsertHistoryAsync(DbConnection connection, DbTransaction transaction, IReadOnlyList<HistoryRow> rows, CancellationToken cancellationToken)
    {
        var command = Prepared(connection, transaction,
            "INSERT INTO \"ArrivalHistory\" (\"ArrivalId\", \"At\", \"Actor\", \"Action\", \"Description\") VALUES ($arrival, $at, $actor, $action, $description)",
            "$arrival", "$at", "$actor", "$action", "$description");
        foreach (var row in rows)
        {
            Set(command, row.ArrivalId, row.At, row.Actor, row.Action, row.Description);
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    public override async Task<long> InsertAuditRecordAsync(DbConnection connection, DbTransaction transaction, AuditRecordEntity record, IReadOnlyCollection<string> subjects,
        IReadOnlyCollection<DeliveredCause> deliveries, CancellationToken cancellationToken)
    {
        var command = Prepared(connection, transaction,
            "INSERT INTO \"AuditRecords\" (\"TraceId\", \"OperationId\", \"ForeignOperationId\", \"Operation\", \"ProcessingActivity\", \"CallerOin\", \"OrganisationId\", \"Outcome\", \"StartedAt\", \"EndedAt\") " +
            "VALUES ($trace, $operation_id, $foreign, $operation, $activity, $oin, $organisation, $outcome, $started, $ended) RETURNING \"Id\"",
            "$trace", "$operation_id", "$foreign", "$operation", "$activity", "$oin", "$organisation", "$outcome", "$started", "$ended");
        Set(command, record.TraceId, record.OperationId, record.ForeignOperationId, record.Operation, record.ProcessingActivity, record.CallerOin, record.OrganisationId,
            record.Outcome, record.StartedAt, record.EndedAt);
        var id = (long)(await command.ExecuteScalarAsync(cancellationToken))!;
        var subject = Prepared(connection, transaction, "INSERT INTO \"AuditSubjects\" (\"RecordId\", \"Subject\") VALUES ($record, $subject)", "$record", "$subject");
        foreach (var value in subjects)
        {
            Set(subject, id, value);
            await subject.ExecuteNonQueryAsync(cancellationToken);
        }
        var delivery = Prepared(connection, transaction,
            "INSERT INTO \"AuditDeliveries\" (\"RecordId\", \"CauseRecordId\", \"Subjects\") VALUES ($record, $cause, $subjects)", "$record", "$cause", "$subjects");
        foreach (var cause in deliveries)
        {
            Set(delivery, id, cause.CauseRecordId, cause.Subjects);
            await delivery.ExecuteNonQueryAsync(cancellationToken);
        }
        return id;
    }

    public override async Task<string?> FindOpenTravellerAsync(DbConnection connection, DbTransaction transaction, IReadOnlyList<string> vNumbers, string? exceptArrivalId,
        CancellationToken cancellationToken)
    {
        var command = Prepared(connection, transaction,
            "SELECT \"OpenVNumber\" FROM \"Travellers\" WHERE \"OpenVNumber\" IN (SELECT value FROM json_each($v)) " +
            "AND ($except IS NULL OR \"ArrivalId\" <> $except) LIMIT 1", "$v", "$except");
        Set(command, Json(vNumbers.ToArray()), exceptArrivalId);
        return await command.ExecuteScalarAsync(cancellationToken) as string;
    }

    public override async Task RaiseRevisionAsync(DbConnection connection, DbTransaction transaction, IReadOnlyCollection<string> feeds, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, transaction,
            "UPDATE \"Feeds\" SET \"Revision\" = \"Revision\" + 1 WHERE \"Id\" IN (SELECT value FROM json_each($feeds))");
        Add(command, "$feeds", Json(feeds.ToArray()));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

}

/// <summary>PostgreSQL: every statement one round trip for the whole set (arrays with <c>= ANY</c> and
/// <c>unnest</c>), <c>RETURNING</c> for what an update changed.</summary>
internal sealed class PostgresStatements : StorageStatements
{
    public override async Task<long> RaiseHeadAsync(DbConnection connection, DbTransaction transaction, string feed, int count, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, transaction,
            "INSERT INTO \"Feeds\" (\"Id\", \"HeadSequence\", \"Revision\") VALUES (@feed, @count, 0) " +
            "ON CONFLICT (\"Id\") DO UPDATE SET \"HeadSequence\" = \"Feeds\".\"HeadSequence\" + EXCLUDED.\"HeadSequence\" RETURNING \"HeadSequence\"");
        Add(command, "feed", feed);
        Add(command, "count", (long)count);
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    public override async Task InsertNoticesAsync(DbConnection connection, DbTransaction transaction, IReadOnlyList<NoticeRow> rows, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, transaction,
            "INSERT INTO \"Notices\" (\"FeedId\", \"Sequence\", \"NoticeId\", \"Type\", \"Subject\", \"CreatedAt\", \"Body\", \"AuditSubjects\", \"CauseRecordId\") " +
            "SELECT * FROM unnest(@feeds, @sequences, @ids, @types, @subjects, @created, @bodies, @audit, @causes)");
        Add(command, "feeds", rows.Select(r => r.FeedId).ToArray());
        Add(command, "sequences", rows.Select(r => r.Sequence).ToArray());
        Add(command, "ids", rows.Select(r => r.NoticeId).ToArray());
        Add(command, "types", rows.Select(r => r.Type).ToArray());
        Add(command, "subjects", rows.Select(r => r.Subject).ToArray());
        Add(command, "created", rows.Select(r => r.CreatedAt).ToArray());
        Add(command, "bodies", rows.Select(r => r.Body).ToArray());
        Add(command, "audit", rows.Select(r => r.AuditSubjects).ToArray());
        Add(command, "causes", rows.Select(r => r.CauseRecordId).ToArray());
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>One round trip for the arrival and all its rows (each statement a round trip would be a
    /// dozen per announcement on the single writer).</summary>
    public override async Task InsertArrivalAsync(DbConnection connection, DbTransaction transaction, ArrivalEntity arrival, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, transaction,
            "INSERT INTO \"Arrivals\" (\"Id\", \"CaseReference\", \"MunicipalityCode\", \"Kind\", \"State\", \"AnnouncedBy\", \"AnnouncedAt\", \"ExpectedArrivalDate\", " +
            "\"Version\", \"LateAnnouncement\", \"ConsentStatus\", \"ConsentHouseholdSize\", \"ConsentRequestedAt\", \"ConsentDecideBy\", \"Details\") " +
            "VALUES (@id, @case, @municipality, @kind, @state, @by, @at, @expected, @version, @late, @consent, @size, @requested, @decide, @details); " +
            "INSERT INTO \"Travellers\" (\"ArrivalId\", \"VNumber\", \"OpenVNumber\", \"Position\", \"RegistrationStatus\") SELECT @id, * FROM unnest(@v, @open, @positions, @statuses); " +
            "INSERT INTO \"ArrivalHistory\" (\"ArrivalId\", \"At\", \"Actor\", \"Action\", \"Description\") SELECT @id, * FROM unnest(@history_at, @actors, @actions, @descriptions); " +
            "INSERT INTO \"Escalations\" (\"Id\", \"ArrivalId\", \"Kind\", \"RaisedAt\", \"Description\") SELECT e.id, @id, e.kind, e.raised, e.description FROM unnest(@escalation_ids, @escalation_kinds, @escalation_raised, @escalation_descriptions) AS e(id, kind, raised, description); " +
            "INSERT INTO \"Deadlines\" (\"Id\", \"ArrivalId\", \"Kind\", \"DueAt\") SELECT d.id, @id, d.kind, d.due FROM unnest(@deadline_ids, @deadline_kinds, @deadline_due) AS d(id, kind, due)");
        Add(command, "id", arrival.Id);
        Add(command, "case", arrival.CaseReference);
        Add(command, "municipality", arrival.MunicipalityCode);
        Add(command, "kind", (int)arrival.Kind);
        Add(command, "state", (int)arrival.State);
        Add(command, "by", arrival.AnnouncedBy);
        Add(command, "at", arrival.AnnouncedAt);
        Add(command, "expected", arrival.ExpectedArrivalDate);
        Add(command, "version", arrival.Version);
        Add(command, "late", arrival.LateAnnouncement);
        Add(command, "consent", (int)arrival.ConsentStatus);
        Add(command, "size", arrival.ConsentHouseholdSize);
        Add(command, "requested", arrival.ConsentRequestedAt);
        Add(command, "decide", arrival.ConsentDecideBy);
        Add(command, "details", arrival.Details);
        Add(command, "v", arrival.Travellers.Select(t => t.VNumber).ToArray());
        Add(command, "open", arrival.Travellers.Select(t => t.OpenVNumber).ToArray());
        Add(command, "positions", arrival.Travellers.Select(t => t.Position).ToArray());
        Add(command, "statuses", arrival.Travellers.Select(t => (int)t.RegistrationStatus).ToArray());
        Add(command, "history_at", arrival.History.Select(h => h.At).ToArray());
        Add(command, "actors", arrival.History.Select(h => h.Actor).ToArray());
        Add(command, "actions", arrival.History.Select(h => h.Action).ToArray());
        Add(command, "descriptions", arrival.History.Select(h => h.Description).ToArray());
        Add(command, "escalation_ids", arrival.Escalations.Select(e => e.Id).ToArray());
        Add(command, "escalation_kinds", arrival.Escalations.Select(e => (int)e.Kind).ToArray());
        Add(command, "escalation_raised", arrival.Escalations.Select(e => e.RaisedAt).ToArray());
        Add(command, "escalation_descriptions", arrival.Escalations.Select(e => e.Description).ToArray());
        Add(command, "deadline_ids", arrival.Deadlines.Select(d => d.Id).ToArray());
        Add(command, "deadline_kinds", arrival.Deadlines.Select(d => (int)d.Kind).ToArray());
        Add(command, "deadline_due", arrival.Deadlines.Select(d => d.DueAt).ToArray());
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public override async Task<List<AcknowledgedRow>> AcknowledgeAsync(DbConnection connection, DbTransaction transaction, string feed, long[] sequences, DateTime now, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, transaction,
            "UPDATE \"Notices\" SET \"AcknowledgedAt\" = @now WHERE \"FeedId\" = @feed AND \"AcknowledgedAt\" IS NULL AND \"Sequence\" = ANY(@sequences) " +
            "RETURNING \"Sequence\", \"Type\", \"Subject\", \"AuditSubjects\", CASE WHEN \"AuditSubjects\" IS NULL THEN \"Body\" END, \"CauseRecordId\"");
        Add(command, "now", now);
        Add(command, "feed", feed);
        Add(command, "sequences", sequences);
        return await ReadAcknowledgedAsync(command, cancellationToken);
    }

    public override async Task<List<(string Id, string CaseReference)>> MarkReceivedAsync(DbConnection connection, DbTransaction transaction,
        string municipalityCode, string[] arrivalIds, DateTime now, int announced, int acknowledged, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, transaction,
            "UPDATE \"Arrivals\" SET \"AcknowledgedAt\" = COALESCE(\"AcknowledgedAt\", @now), " +
            "\"State\" = CASE WHEN \"State\" = @announced THEN @acknowledged ELSE \"State\" END, \"Version\" = \"Version\" + 1 " +
            "WHERE \"MunicipalityCode\" = @code AND \"Id\" = ANY(@ids) RETURNING \"Id\", \"CaseReference\"");
        Add(command, "now", now);
        Add(command, "announced", announced);
        Add(command, "acknowledged", acknowledged);
        Add(command, "code", municipalityCode);
        Add(command, "ids", arrivalIds);
        return await ReadPairsAsync(command, cancellationToken);
    }

    public override async Task InsertHistoryAsync(DbConnection connection, DbTransaction transaction, IReadOnlyList<HistoryRow> rows, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, transaction,
            "INSERT INTO \"ArrivalHistory\" (\"ArrivalId\", \"At\", \"Actor\", \"Action\", \"Description\") SELECT * FROM unnest(@arrivals, @at, @actors, @actions, @descriptions)");
        Add(command, "arrivals", rows.Select(r => r.ArrivalId).ToArray());
        Add(command, "at", rows.Select(r => r.At).ToArray());
        Add(command, "actors", rows.Select(r => r.Actor).ToArray());
        Add(command, "actions", rows.Select(r => r.Action).ToArray());
        Add(command, "descriptions", rows.Select(r => r.Description).ToArray());
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public override async Task<long> InsertAuditRecordAsync(DbConnection connection, DbTransaction transaction, AuditRecordEntity record, IReadOnlyCollection<string> subjects,
        IReadOnlyCollection<DeliveredCause> deliveries, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, transaction,
            "WITH record AS (INSERT INTO \"AuditRecords\" (\"TraceId\", \"OperationId\", \"ForeignOperationId\", \"Operation\", \"ProcessingActivity\", \"CallerOin\", \"OrganisationId\", \"Outcome\", \"StartedAt\", \"EndedAt\") " +
            "VALUES (@trace, @operation_id, @foreign, @operation, @activity, @oin, @organisation, @outcome, @started, @ended) RETURNING \"Id\"), " +
            "subjects AS (INSERT INTO \"AuditSubjects\" (\"RecordId\", \"Subject\") SELECT record.\"Id\", subject FROM record, unnest(@subjects) AS subject), " +
            "deliveries AS (INSERT INTO \"AuditDeliveries\" (\"RecordId\", \"CauseRecordId\", \"Subjects\") SELECT record.\"Id\", d.cause, d.keys FROM record, unnest(@causes, @keys) AS d(cause, keys)) " +
            "SELECT \"Id\" FROM record");
        Add(command, "trace", record.TraceId);
        Add(command, "operation_id", record.OperationId);
        Add(command, "foreign", record.ForeignOperationId);
        Add(command, "operation", record.Operation);
        Add(command, "activity", record.ProcessingActivity);
        Add(command, "oin", record.CallerOin);
        Add(command, "organisation", record.OrganisationId);
        Add(command, "outcome", record.Outcome);
        Add(command, "started", record.StartedAt);
        Add(command, "ended", record.EndedAt);
        Add(command, "subjects", subjects.ToArray());
        Add(command, "causes", deliveries.Select(d => d.CauseRecordId).ToArray());
        Add(command, "keys", deliveries.Select(d => d.Subjects).ToArray());
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    public override async Task<string?> FindOpenTravellerAsync(DbConnection connection, DbTransaction transaction, IReadOnlyList<string> vNumbers, string? exceptArrivalId,
        CancellationToken cancellationToken)
    {
        await using var command = Command(connection, transaction,
            "SELECT \"OpenVNumber\" FROM \"Travellers\" WHERE \"OpenVNumber\" = ANY(@v) AND (@except::text IS NULL OR \"ArrivalId\" <> @except::text) LIMIT 1");
        Add(command, "v", vNumbers.ToArray());
        Add(command, "except", exceptArrivalId);
        return await command.ExecuteScalarAsync(cancellationToken) as string;
    }

    public override async Task RaiseRevisionAsync(DbConnection connection, DbTransaction transaction, IReadOnlyCollection<string> feeds, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, transaction, "UPDATE \"Feeds\" SET \"Revision\" = \"Revision\" + 1 WHERE \"Id\" = ANY(@feeds)");
        Add(command, "feeds", feeds.ToArray());
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public override async Task<bool> AcquireLeaseAsync(DbConnection connection, string feed, string instance, TimeSpan duration, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, null,
            "INSERT INTO \"FeedLeases\" (\"FeedId\", \"InstanceId\", \"ExpiresAt\", \"WantedAt\") VALUES (@feed, @instance, now() + @duration, NULL) " +
            "ON CONFLICT (\"FeedId\") DO UPDATE SET \"InstanceId\" = EXCLUDED.\"InstanceId\", \"ExpiresAt\" = EXCLUDED.\"ExpiresAt\", \"WantedAt\" = NULL " +
            "WHERE \"FeedLeases\".\"ExpiresAt\" < now() OR \"FeedLeases\".\"InstanceId\" = EXCLUDED.\"InstanceId\" RETURNING \"FeedId\"");
        Add(command, "feed", feed);
        Add(command, "instance", instance);
        Add(command, "duration", duration);
        return await command.ExecuteScalarAsync(cancellationToken) is not null;
    }

    public override async Task<List<(string Feed, bool Wanted)>> RenewLeasesAsync(DbConnection connection, IReadOnlyCollection<string> feeds, string instance, TimeSpan duration, TimeSpan recent, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, null,
            "UPDATE \"FeedLeases\" SET \"ExpiresAt\" = now() + @duration WHERE \"InstanceId\" = @instance AND \"FeedId\" = ANY(@feeds) " +
            "RETURNING \"FeedId\", COALESCE(\"WantedAt\" > now() - @recent, false)");
        Add(command, "duration", duration);
        Add(command, "instance", instance);
        Add(command, "feeds", feeds.ToArray());
        Add(command, "recent", recent);
        var held = new List<(string, bool)>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            held.Add((reader.GetString(0), reader.GetBoolean(1)));
        }
        return held;
    }

    public override async Task WantLeaseAsync(DbConnection connection, string feed, string instance, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, null, "UPDATE \"FeedLeases\" SET \"WantedAt\" = now() WHERE \"FeedId\" = @feed AND \"InstanceId\" <> @instance");
        Add(command, "feed", feed);
        Add(command, "instance", instance);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public override async Task ReleaseLeaseAsync(DbConnection connection, string feed, string instance, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, null,
            "DELETE FROM \"FeedLeases\" WHERE \"FeedId\" = @feed AND \"InstanceId\" = @instance; SELECT pg_notify(@channel, @payload)");
        Add(command, "feed", feed);
        Add(command, "instance", instance);
        Add(command, "channel", Feed.PostgresFeedListener.Channel);
        Add(command, "payload", Feed.FeedSignal.Payloads([Feed.FeedSignal.Released(feed)]).Single());
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public override async Task SignalAsync(DbConnection connection, DbTransaction transaction, IReadOnlyCollection<Feed.FeedSignal> signals, CancellationToken cancellationToken)
    {
        foreach (var payload in Feed.FeedSignal.Payloads(signals))
        {
            await using var command = Command(connection, transaction, "SELECT pg_notify(@channel, @payload)");
            Add(command, "channel", Feed.PostgresFeedListener.Channel);
            Add(command, "payload", payload);
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
    }
}

/// <summary>SQL Server: sets passed as JSON and read with <c>OPENJSON</c>, <c>OUTPUT</c> for what an
/// update changed, multi-row inserts in chunks under the 2,100-parameter limit. Written to the shape
/// of the other two; no SQL Server runs here to prove it.</summary>
internal sealed class SqlServerStatements : StorageStatements
{
    private const int RowsPerInsert = 200;

    public override async Task<long> RaiseHeadAsync(DbConnection connection, DbTransaction transaction, string feed, int count, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, transaction,
            "UPDATE [Feeds] SET [HeadSequence] = [HeadSequence] + @count OUTPUT INSERTED.[HeadSequence] WHERE [Id] = @feed; " +
            "IF @@ROWCOUNT = 0 INSERT INTO [Feeds] ([Id], [HeadSequence], [Revision]) OUTPUT INSERTED.[HeadSequence] VALUES (@feed, @count, 0);");
        Add(command, "@feed", feed);
        Add(command, "@count", (long)count);
        return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture);
    }

    public override async Task InsertNoticesAsync(DbConnection connection, DbTransaction transaction, IReadOnlyList<NoticeRow> rows, CancellationToken cancellationToken)
    {
        foreach (var chunk in rows.Chunk(RowsPerInsert))
        {
            var values = string.Join(", ", chunk.Select((_, i) => $"(@f{i}, @s{i}, @n{i}, @t{i}, @j{i}, @c{i}, @b{i}, @a{i}, @r{i})"));
            await using var command = Command(connection, transaction,
                "INSERT INTO [Notices] ([FeedId], [Sequence], [NoticeId], [Type], [Subject], [CreatedAt], [Body], [AuditSubjects], [CauseRecordId]) VALUES " + values);
            for (var i = 0; i < chunk.Length; i++)
            {
                var row = chunk[i];
                Add(command, $"@f{i}", row.FeedId);
                Add(command, $"@s{i}", row.Sequence);
                Add(command, $"@n{i}", row.NoticeId);
                Add(command, $"@t{i}", row.Type);
                Add(command, $"@j{i}", row.Subject);
                Add(command, $"@c{i}", row.CreatedAt);
                Add(command, $"@b{i}", row.Body);
                Add(command, $"@a{i}", row.AuditSubjects);
                Add(command, $"@r{i}", row.CauseRecordId);
            }
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    public override async Task<List<AcknowledgedRow>> AcknowledgeAsync(DbConnection connection, DbTransaction transaction, string feed, long[] sequences, DateTime now, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, transaction,
            "UPDATE [Notices] SET [AcknowledgedAt] = @now " +
            "OUTPUT INSERTED.[Sequence], INSERTED.[Type], INSERTED.[Subject], INSERTED.[AuditSubjects], CASE WHEN INSERTED.[AuditSubjects] IS NULL THEN INSERTED.[Body] END, INSERTED.[CauseRecordId] " +
            "WHERE [FeedId] = @feed AND [AcknowledgedAt] IS NULL AND [Sequence] IN (SELECT CAST([value] AS bigint) FROM OPENJSON(@sequences))");
        Add(command, "@now", now);
        Add(command, "@feed", feed);
        Add(command, "@sequences", Json(sequences));
        return await ReadAcknowledgedAsync(command, cancellationToken);
    }

    public override async Task<List<(string Id, string CaseReference)>> MarkReceivedAsync(DbConnection connection, DbTransaction transaction,
        string municipalityCode, string[] arrivalIds, DateTime now, int announced, int acknowledged, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, transaction,
            "UPDATE [Arrivals] SET [AcknowledgedAt] = COALESCE([AcknowledgedAt], @now), " +
            "[State] = CASE WHEN [State] = @announced THEN @acknowledged ELSE [State] END, [Version] = [Version] + 1 " +
            "OUTPUT INSERTED.[Id], INSERTED.[CaseReference] " +
            "WHERE [MunicipalityCode] = @code AND [Id] IN (SELECT [value] FROM OPENJSON(@ids))");
        Add(command, "@now", now);
        Add(command, "@announced", announced);
        Add(command, "@acknowledged", acknowledged);
        Add(command, "@code", municipalityCode);
        Add(command, "@ids", Json(arrivalIds));
        return await ReadPairsAsync(command, cancellationToken);
    }

    public override async Task InsertHistoryAsync(DbConnection connection, DbTransaction transaction, IReadOnlyList<HistoryRow> rows, CancellationToken cancellationToken)
    {
        foreach (var chunk in rows.Chunk(RowsPerInsert))
        {
            var values = string.Join(", ", chunk.Select((_, i) => $"(@r{i}, @t{i}, @w{i}, @a{i}, @d{i})"));
            await using var command = Command(connection, transaction,
                "INSERT INTO [ArrivalHistory] ([ArrivalId], [At], [Actor], [Action], [Description]) VALUES " + values);
            for (var i = 0; i < chunk.Length; i++)
            {
                Add(command, $"@r{i}", chunk[i].ArrivalId);
                Add(command, $"@t{i}", chunk[i].At);
                Add(command, $"@w{i}", chunk[i].Actor);
                Add(command, $"@a{i}", chunk[i].Action);
                Add(command, $"@d{i}", chunk[i].Description);
            }
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    public override async Task<long> InsertAuditRecordAsync(DbConnection connection, DbTransaction transaction, AuditRecordEntity record, IReadOnlyCollection<string> subjects,
        IReadOnlyCollection<DeliveredCause> deliveries, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, transaction,
            "DECLARE @id bigint; " +
            "INSERT INTO [AuditRecords] ([TraceId], [OperationId], [ForeignOperationId], [Operation], [ProcessingActivity], [CallerOin], [OrganisationId], [Outcome], [StartedAt], [EndedAt]) " +
            "VALUES (@trace, @operation_id, @foreign, @operation, @activity, @oin, @organisation, @outcome, @started, @ended); SET @id = SCOPE_IDENTITY(); " +
            "INSERT INTO [AuditSubjects] ([RecordId], [Subject]) SELECT @id, [value] FROM OPENJSON(@subjects); " +
            "INSERT INTO [AuditDeliveries] ([RecordId], [CauseRecordId], [Subjects]) SELECT @id, [cause], [keys] FROM OPENJSON(@deliveries) WITH ([cause] bigint, [keys] varchar(max)); SELECT @id;");
        Add(command, "@trace", record.TraceId);
        Add(command, "@operation_id", record.OperationId);
        Add(command, "@foreign", record.ForeignOperationId);
        Add(command, "@operation", record.Operation);
        Add(command, "@activity", record.ProcessingActivity);
        Add(command, "@oin", record.CallerOin);
        Add(command, "@organisation", record.OrganisationId);
        Add(command, "@outcome", record.Outcome);
        Add(command, "@started", record.StartedAt);
        Add(command, "@ended", record.EndedAt);
        Add(command, "@subjects", Json(subjects.ToArray()));
        Add(command, "@deliveries", JsonSerializer.Serialize(deliveries.Select(d => new { cause = d.CauseRecordId, keys = d.Subjects })));
        return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture);
    }

    public override async Task<string?> FindOpenTravellerAsync(DbConnection connection, DbTransaction transaction, IReadOnlyList<string> vNumbers, string? exceptArrivalId,
        CancellationToken cancellationToken)
    {
        await using var command = Command(connection, transaction,
            "SELECT TOP 1 [OpenVNumber] FROM [Travellers] WHERE [OpenVNumber] IN (SELECT [value] FROM OPENJSON(@v)) " +
            "AND (@except IS NULL OR [ArrivalId] <> @except)");
        Add(command, "@v", Json(vNumbers.ToArray()));
        Add(command, "@except", exceptArrivalId);
        return await command.ExecuteScalarAsync(cancellationToken) as string;
    }

    public override async Task RaiseRevisionAsync(DbConnection connection, DbTransaction transaction, IReadOnlyCollection<string> feeds, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, transaction,
            "UPDATE [Feeds] SET [Revision] = [Revision] + 1 WHERE [Id] IN (SELECT [value] FROM OPENJSON(@feeds))");
        Add(command, "@feeds", Json(feeds.ToArray()));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public override async Task<bool> AcquireLeaseAsync(DbConnection connection, string feed, string instance, TimeSpan duration, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, null,
            "MERGE [FeedLeases] WITH (HOLDLOCK) AS target USING (SELECT @feed AS [FeedId]) AS source ON target.[FeedId] = source.[FeedId] " +
            "WHEN MATCHED AND (target.[ExpiresAt] < SYSUTCDATETIME() OR target.[InstanceId] = @instance) THEN " +
            "UPDATE SET [InstanceId] = @instance, [ExpiresAt] = DATEADD(millisecond, @ms, SYSUTCDATETIME()), [WantedAt] = NULL " +
            "WHEN NOT MATCHED THEN INSERT ([FeedId], [InstanceId], [ExpiresAt], [WantedAt]) VALUES (@feed, @instance, DATEADD(millisecond, @ms, SYSUTCDATETIME()), NULL) " +
            "OUTPUT inserted.[FeedId];");
        Add(command, "@feed", feed);
        Add(command, "@instance", instance);
        Add(command, "@ms", (int)duration.TotalMilliseconds);
        return await command.ExecuteScalarAsync(cancellationToken) is not null;
    }

    public override async Task<List<(string Feed, bool Wanted)>> RenewLeasesAsync(DbConnection connection, IReadOnlyCollection<string> feeds, string instance, TimeSpan duration, TimeSpan recent, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, null,
            "UPDATE [FeedLeases] SET [ExpiresAt] = DATEADD(millisecond, @ms, SYSUTCDATETIME()) " +
            "OUTPUT inserted.[FeedId], CASE WHEN inserted.[WantedAt] > DATEADD(millisecond, -@recent, SYSUTCDATETIME()) THEN 1 ELSE 0 END " +
            "WHERE [InstanceId] = @instance AND [FeedId] IN (SELECT [value] FROM OPENJSON(@feeds))");
        Add(command, "@ms", (int)duration.TotalMilliseconds);
        Add(command, "@recent", (int)recent.TotalMilliseconds);
        Add(command, "@instance", instance);
        Add(command, "@feeds", Json(feeds.ToArray()));
        var held = new List<(string, bool)>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            held.Add((reader.GetString(0), reader.GetInt32(1) == 1));
        }
        return held;
    }

    public override async Task WantLeaseAsync(DbConnection connection, string feed, string instance, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, null, "UPDATE [FeedLeases] SET [WantedAt] = SYSUTCDATETIME() WHERE [FeedId] = @feed AND [InstanceId] <> @instance");
        Add(command, "@feed", feed);
        Add(command, "@instance", instance);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public override async Task ReleaseLeaseAsync(DbConnection connection, string feed, string instance, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, null, "DELETE FROM [FeedLeases] WHERE [FeedId] = @feed AND [InstanceId] = @instance");
        Add(command, "@feed", feed);
        Add(command, "@instance", instance);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
