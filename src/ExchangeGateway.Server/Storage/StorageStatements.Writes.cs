using System.Data.Common;
using System.Runtime.CompilerServices;

namespace ExchangeGateway.Server.Storage;

/// <summary>The first answer stored for a request id, as a repeat needs it.</summary>
internal sealed record StoredRequest(string Method, byte[] RequestHash, byte[] Response, DateTime CreatedAt);

/// <summary>The row statements every write shares (the request record, the audit record) and those of a
/// new arrival. They are plain one-row statements that read alike on every provider (quoted identifiers,
/// <c>@</c> parameters), kept prepared per connection: the writer runs on one long-lived connection, so
/// each is parsed and planned once, not per unit of work.</summary>
internal abstract partial class StorageStatements
{
    private static readonly ConditionalWeakTable<DbConnection, Dictionary<string, DbCommand>> PreparedCommands = new();

    private const string FindRequestSql =
        "SELECT \"Method\", \"RequestHash\", \"Response\", \"CreatedAt\" FROM \"IdempotencyRecords\" WHERE \"OrganisationId\" = @organisation AND \"RequestId\" = @request";

    private const string InsertRequestSql =
        "INSERT INTO \"IdempotencyRecords\" (\"OrganisationId\", \"RequestId\", \"Method\", \"RequestHash\", \"Response\", \"CreatedAt\", \"ExpiresAt\") " +
        "VALUES (@organisation, @request, @method, @hash, @response, @created, @expires)";

    private const string InsertArrivalSql =
        "INSERT INTO \"Arrivals\" (\"Id\", \"CaseReference\", \"MunicipalityCode\", \"Kind\", \"State\", \"AnnouncedBy\", \"AnnouncedAt\", \"ExpectedArrivalDate\", " +
        "\"Version\", \"LateAnnouncement\", \"ConsentStatus\", \"ConsentHouseholdSize\", \"ConsentRequestedAt\", \"ConsentDecideBy\", \"Details\") " +
        "VALUES (@id, @case, @municipality, @kind, @state, @by, @at, @expected, @version, @late, @consent, @size, @requested, @decide, @details)";

    private const string InsertTravellerSql =
        "INSERT INTO \"Travellers\" (\"ArrivalId\", \"VNumber\", \"OpenVNumber\", \"Position\", \"RegistrationStatus\") VALUES (@arrival, @v, @open, @position, @status)";

    private const string InsertEscalationSql =
        "INSERT INTO \"Escalations\" (\"Id\", \"ArrivalId\", \"Kind\", \"RaisedAt\", \"Description\") VALUES (@id, @arrival, @kind, @raised, @description)";

    private const string InsertDeadlineSql =
        "INSERT INTO \"Deadlines\" (\"Id\", \"ArrivalId\", \"Kind\", \"DueAt\") VALUES (@id, @arrival, @kind, @due)";

    /// <summary>The first answer to (organisation, request id), or null.</summary>
    public static async Task<StoredRequest?> FindRequestAsync(DbConnection connection, DbTransaction transaction, string organisationId, string requestId, CancellationToken cancellationToken)
    {
        var command = Prepared(connection, transaction, FindRequestSql, "organisation", "request");
        command.Parameters[0].Value = organisationId;
        command.Parameters[1].Value = requestId;
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? new StoredRequest(reader.GetString(0), (byte[])reader.GetValue(1), (byte[])reader.GetValue(2), reader.GetDateTime(3))
            : null;
    }

    public static async Task InsertRequestAsync(DbConnection connection, DbTransaction transaction, IdempotencyEntity record, CancellationToken cancellationToken)
    {
        var command = Prepared(connection, transaction, InsertRequestSql, "organisation", "request", "method", "hash", "response", "created", "expires");
        Set(command, record.OrganisationId, record.RequestId, record.Method, record.RequestHash, record.Response, record.CreatedAt, record.ExpiresAt);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>The first of <paramref name="vNumbers"/> that is a traveller of an open arrival other than
    /// <paramref name="exceptArrivalId"/>, or null.</summary>
    public abstract Task<string?> FindOpenTravellerAsync(DbConnection connection, DbTransaction transaction, IReadOnlyList<string> vNumbers, string? exceptArrivalId,
        CancellationToken cancellationToken);

    /// <summary>Inserts a new arrival with its travellers, history, escalations and deadlines (all new rows).</summary>
    public virtual async Task InsertArrivalAsync(DbConnection connection, DbTransaction transaction, ArrivalEntity arrival, CancellationToken cancellationToken)
    {
        var insert = Prepared(connection, transaction, InsertArrivalSql,
            "id", "case", "municipality", "kind", "state", "by", "at", "expected", "version", "late", "consent", "size", "requested", "decide", "details");
        Set(insert, arrival.Id, arrival.CaseReference, arrival.MunicipalityCode, (int)arrival.Kind, (int)arrival.State, arrival.AnnouncedBy, arrival.AnnouncedAt,
            arrival.ExpectedArrivalDate, arrival.Version, arrival.LateAnnouncement, (int)arrival.ConsentStatus, arrival.ConsentHouseholdSize,
            arrival.ConsentRequestedAt, arrival.ConsentDecideBy, arrival.Details);
        await insert.ExecuteNonQueryAsync(cancellationToken);

        var traveller = Prepared(connection, transaction, InsertTravellerSql, "arrival", "v", "open", "position", "status");
        foreach (var row in arrival.Travellers)
        {
            Set(traveller, row.ArrivalId, row.VNumber, row.OpenVNumber, row.Position, (int)row.RegistrationStatus);
            await traveller.ExecuteNonQueryAsync(cancellationToken);
        }
        foreach (var row in arrival.Escalations)
        {
            var escalation = Prepared(connection, transaction, InsertEscalationSql, "id", "arrival", "kind", "raised", "description");
            Set(escalation, row.Id, row.ArrivalId, (int)row.Kind, row.RaisedAt, row.Description);
            await escalation.ExecuteNonQueryAsync(cancellationToken);
        }
        foreach (var row in arrival.Deadlines)
        {
            var deadline = Prepared(connection, transaction, InsertDeadlineSql, "id", "arrival", "kind", "due");
            Set(deadline, row.Id, row.ArrivalId, (int)row.Kind, row.DueAt);
            await deadline.ExecuteNonQueryAsync(cancellationToken);
        }
        await InsertHistoryAsync(connection, transaction, [.. arrival.History.Select(h => new HistoryRow(h.ArrivalId, h.At, h.Actor, h.Action, h.Description))], cancellationToken);
    }

    /// <summary>A command kept for this connection and statement, its parameters created once (in the
    /// order given); the caller sets their values. Not to be disposed: it lives as long as the connection.</summary>
    protected static DbCommand Prepared(DbConnection connection, DbTransaction? transaction, string sql, params string[] parameters)
    {
        var cache = PreparedCommands.GetValue(connection, _ => new Dictionary<string, DbCommand>(StringComparer.Ordinal));
        if (!cache.TryGetValue(sql, out var command))
        {
            command = connection.CreateCommand();
            command.CommandText = sql;
            foreach (var name in parameters)
            {
                Add(command, name, null);
            }
            cache[sql] = command;
        }
        command.Transaction = transaction;
        return command;
    }

    protected static void Set(DbCommand command, params object?[] values)
    {
        for (var i = 0; i < values.Length; i++)
        {
            command.Parameters[i].Value = values[i] ?? DBNull.Value;
        }
    }
}
