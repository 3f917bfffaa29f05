using System.Diagnostics;
using ExchangeGateway.Contracts.V1;
using ExchangeGateway.Server.Audit;
using ExchangeGateway.Server.Feed;
using ExchangeGateway.Server.Identity;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Microsoft.Data.Sqlite;

namespace ExchangeGateway.Cli.Bench;

/// <summary>Writes notices straight into a stopped gateway's SQLite file, in one transaction, as the
/// gateway itself would have written them: a Notice row whose Body is the protobuf
/// <c>exchange.v1.Notice</c> (type nl.asielketen.aankomst-aangekondigd, payload arrival_announced,
/// notice_id, subject) without sequence, numbered on from the feed's head, and the feed's
/// HeadSequence raised to match. Announcing 100,000 arrivals through the API would take far longer
/// than the measurement itself.</summary>
internal static class BacklogSeeder
{
    private const string AnnouncedType = "nl.asielketen.aankomst-aangekondigd";

    /// <summary>Adds <paramref name="count"/> notices, spread round-robin over
    /// <paramref name="municipalities"/>. With <paramref name="withArrivals"/> each notice also gets
    /// its arrival row, so acknowledging it does the gateway's full work (arrival marked received,
    /// history, a notice to COA). Notices at or below <paramref name="acknowledgedShare"/> of each
    /// feed's new range are stored as acknowledged already. Returns each feed's head before seeding.</summary>
    public static async Task<Dictionary<string, long>> SeedAsync(string database, BenchPki pki, IReadOnlyList<BenchMunicipality> municipalities, int count,
        bool withArrivals, double acknowledgedShare, CancellationToken cancellationToken, long firstVNumber = 7_000_000_000)
    {
        // The key the gateway (serve --dev --certs) uses, so the stored audit subjects are what it would store.
        var keyPath = Path.Combine(pki.Directory, Serve.GatewayLauncher.DevAuditKeyFile);
        AuditKey.CreateFileIfMissing(keyPath);
        var auditKey = AuditKey.Load(keyPath);
        await using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = database, Pooling = false }.ToString());
        await connection.OpenAsync(cancellationToken);
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);

        var heads = new Dictionary<string, long>(StringComparer.Ordinal);
        var perFeed = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < count; i++)
        {
            var feed = FeedNames.Municipality(municipalities[i % municipalities.Count].Code);
            perFeed[feed] = perFeed.GetValueOrDefault(feed) + 1;
        }
        foreach (var feed in perFeed.Keys)
        {
            heads[feed] = await HeadAsync(connection, transaction, feed, cancellationToken);
        }

        using var notice = Command(connection, transaction,
            "INSERT INTO Notices (FeedId, Sequence, NoticeId, Type, Subject, CreatedAt, AcknowledgedAt, Body, AuditSubjects, CauseRecordId) VALUES ($feed, $sequence, $id, $type, $subject, $created, $acknowledged, $body, $audit, $cause)",
            "$feed", "$sequence", "$id", "$type", "$subject", "$created", "$acknowledged", "$body", "$audit", "$cause");
        // Each arrival as COA's AnnounceArrival would have left it: its audit record with the data subjects.
        using var record = Command(connection, transaction,
            "INSERT INTO AuditRecords (TraceId, OperationId, Operation, ProcessingActivity, CallerOin, OrganisationId, Outcome, StartedAt, EndedAt) " +
            "VALUES ($trace, $operation, '/exchange.v1.ArrivalService/AnnounceArrival', 'Aankondigen aankomst', $oin, 'coa', 'OK', $at, $at) RETURNING Id",
            "$trace", "$operation", "$oin", "$at");
        using var recordSubject = Command(connection, transaction, "INSERT INTO AuditSubjects (RecordId, Subject) VALUES ($record, $subject)", "$record", "$subject");
        using var arrival = Command(connection, transaction,
            "INSERT INTO Arrivals (Id, CaseReference, MunicipalityCode, Kind, State, AnnouncedBy, AnnouncedAt, ExpectedArrivalDate, Version, Details) " +
            "VALUES ($id, $case, $code, $kind, 1, 'coa', $at, $expected, 1, $details)",
            "$id", "$case", "$code", "$kind", "$at", "$expected", "$details");
        var now = DateTime.UtcNow;
        var source = $"urn:nld:oin:{DevCertificateAuthority.TestOin(1)}:systeem:coa";
        var arrivals = new ArrivalFactory(municipalities, firstVNumber);
        var next = new Dictionary<string, long>(heads, StringComparer.Ordinal);
        var written = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < count; i++)
        {
            var details = arrivals.Next("BENCH-SEED", municipalities[i % municipalities.Count]);
            var feed = FeedNames.Municipality(details.MunicipalityCode);
            var arrivalId = Guid.CreateVersion7().ToString();
            var body = new Notice
            {
                NoticeId = Guid.CreateVersion7().ToString(),
                Type = AnnouncedType,
                SpecVersion = "1.0",
                Time = Timestamp.FromDateTime(now),
                Source = source,
                Subject = arrivalId,
                ArrivalAnnounced = new ArrivalAnnounced { ArrivalId = arrivalId, Details = details },
            };
            var sequence = next[feed] + 1;
            next[feed] = sequence;
            written[feed] = written.GetValueOrDefault(feed) + 1;
            var acknowledged = written[feed] <= acknowledgedShare * perFeed.GetValueOrDefault(feed, 1);
            Bind(record, System.Diagnostics.ActivityTraceId.CreateRandom().ToHexString(), System.Diagnostics.ActivitySpanId.CreateRandom().ToHexString(),
                DevCertificateAuthority.TestOin(1), now);
            var recordId = (long)(await record.ExecuteScalarAsync(cancellationToken))!;
            var keys = NoticeOutbox.AuditKeysOf(body, auditKey);
            foreach (var key in keys.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                Bind(recordSubject, recordId, key);
                await recordSubject.ExecuteNonQueryAsync(cancellationToken);
            }
            Bind(notice, feed, sequence, body.NoticeId, AnnouncedType, arrivalId, now, acknowledged ? now : DBNull.Value, body.ToByteArray(), keys, recordId);
            await notice.ExecuteNonQueryAsync(cancellationToken);
            if (withArrivals)
            {
                var expected = details.ExpectedArrivalDate;
                Bind(arrival, arrivalId, details.CaseReference, details.MunicipalityCode, (int)details.Kind, now,
                    new DateOnly(expected.Year, expected.Month, expected.Day), details.ToByteArray());
                await arrival.ExecuteNonQueryAsync(cancellationToken);
            }
        }
        foreach (var (feed, head) in next)
        {
            using var update = Command(connection, transaction,
                "INSERT INTO Feeds (Id, HeadSequence) VALUES ($feed, $head) ON CONFLICT(Id) DO UPDATE SET HeadSequence = excluded.HeadSequence",
                "$feed", "$head");
            Bind(update, feed, head);
            await update.ExecuteNonQueryAsync(cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);
        return heads;
    }

    /// <summary>Database file plus its write-ahead log, in bytes.</summary>
    public static long FileBytes(string database) =>
        new[] { database, database + "-wal" }.Where(File.Exists).Sum(f => new FileInfo(f).Length);

    /// <summary>How long seeding took, for the report.</summary>
    public static async Task<TimeSpan> TimeAsync(Func<Task> seed)
    {
        var start = Stopwatch.GetTimestamp();
        await seed();
        return Stopwatch.GetElapsedTime(start);
    }

    private static async Task<long> HeadAsync(SqliteConnection connection, SqliteTransaction transaction, string feed, CancellationToken cancellationToken)
    {
        using var command = Command(connection, transaction, "SELECT HeadSequence FROM Feeds WHERE Id = $feed", "$feed");
        Bind(command, feed);
        return await command.ExecuteScalarAsync(cancellationToken) is long head ? head : 0;
    }

    private static SqliteCommand Command(SqliteConnection connection, SqliteTransaction transaction, string sql, params string[] parameters)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        foreach (var name in parameters)
        {
            command.Parameters.Add(new SqliteParameter { ParameterName = name });
        }
        return command;
    }

    private static void Bind(SqliteCommand command, params object[] values)
    {
        for (var i = 0; i < values.Length; i++)
        {
            command.Parameters[i].Value = values[i];
        }
    }
}
