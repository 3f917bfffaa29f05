using System.Globalization;
using ExchangeGateway.Client.Resilience;
using ExchangeGateway.Contracts.V1;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.Data.Sqlite;
using Polly.CircuitBreaker;
using Polly.Timeout;

namespace ExchangeGateway.Client.Arrivals;

/// <summary>For COA systems: an announcement is first stored in a local SQLite outbox (WAL,
/// synchronous=FULL) under its request_id, and only then sent; the outbox is drained until the
/// gateway confirms each one. A COA process that crashes during a gateway outage loses nothing: on
/// restart it sends what is still pending, with the same request_ids, so nothing is stored twice.
/// Refusals are judged per announcement: one the gateway refuses (or keeps failing on, see
/// <see cref="DurableAnnouncerOptions.MaxFailures"/>) is parked, shown by <see cref="ParkedAsync"/> and
/// sent again on command (<see cref="RetryParkedAsync"/>), and the ones after it still go.</summary>
public sealed class DurableAnnouncer : IAsyncDisposable
{
    private readonly GatewayClient _client;
    private readonly SqliteConnection _connection;
    private readonly SemaphoreSlim _drain = new(1, 1);
    private readonly SemaphoreSlim _work = new(0);
    private readonly DurableAnnouncerOptions _options;

    private DurableAnnouncer(GatewayClient client, SqliteConnection connection, DurableAnnouncerOptions options)
    {
        _client = client;
        _connection = connection;
        _options = options;
    }

    /// <summary>The outbox's schema version (SQLite's <c>user_version</c>). 0: the first outbox, whose
    /// entries the gateway refused were kept as "refused"; 1: they are "parked", with when and why.</summary>
    private const int SchemaVersion = 1;

    /// <summary>Opens (or creates) the outbox file; an outbox of an earlier version of this SDK is
    /// upgraded in place, in one transaction, keeping every entry.</summary>
    public static Task<DurableAnnouncer> OpenAsync(GatewayClient client, string outboxPath, CancellationToken cancellationToken = default) =>
        OpenAsync(client, outboxPath, new DurableAnnouncerOptions(), cancellationToken);

    /// <inheritdoc cref="OpenAsync(GatewayClient, string, CancellationToken)"/>
    public static async Task<DurableAnnouncer> OpenAsync(GatewayClient client, string outboxPath, DurableAnnouncerOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxFailures, 1);
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = outboxPath, Pooling = false }.ToString());
        await connection.OpenAsync(cancellationToken);
        await ExecuteAsync(connection, """
            PRAGMA journal_mode=WAL;
            PRAGMA synchronous=FULL;
            BEGIN IMMEDIATE;
            CREATE TABLE IF NOT EXISTS Outbox (
                Position INTEGER PRIMARY KEY AUTOINCREMENT,
                RequestId TEXT NOT NULL UNIQUE,
                Request BLOB NOT NULL,
                State TEXT NOT NULL,
                EnqueuedAt TEXT NOT NULL,
                ArrivalId TEXT NULL,
                Error TEXT NULL,
                Attempts INTEGER NOT NULL DEFAULT 0);
            """, cancellationToken);
        var version = Convert.ToInt32(await ScalarAsync(connection, "PRAGMA user_version", cancellationToken), CultureInfo.InvariantCulture);
        if (version > SchemaVersion)
        {
            await ExecuteAsync(connection, "ROLLBACK", cancellationToken);
            await connection.DisposeAsync();
            throw new InvalidOperationException($"The outbox {outboxPath} was written by a newer version of ExchangeGateway.Client (schema {version}); this one knows schema {SchemaVersion}.");
        }
        if (version < 1)
        {
            await ExecuteAsync(connection, "ALTER TABLE Outbox ADD COLUMN ParkedAt TEXT NULL; UPDATE Outbox SET State = 'parked' WHERE State = 'refused';", cancellationToken);
        }
        await ExecuteAsync(connection, $"PRAGMA user_version = {SchemaVersion}; COMMIT;", cancellationToken);
        return new DurableAnnouncer(client, connection, options);
    }

    /// <summary>Stores the announcement durably and returns its request_id; <see cref="RunAsync"/> or
    /// <see cref="DrainAsync"/> sends it. Enqueuing the same request_id again with the same arrival is
    /// a no-op; with another arrival it is refused (<see cref="ArgumentException"/>), as the gateway
    /// would refuse it, rather than the first one silently kept.</summary>
    public async Task<string> EnqueueAsync(ArrivalDetails arrival, string? requestId = null, CancellationToken cancellationToken = default)
    {
        var request = new AnnounceArrivalRequest { RequestId = requestId ?? GatewayClient.NewRequestId(), Arrival = arrival };
        var bytes = request.ToByteArray();
        await using var command = _connection.CreateCommand();
        command.CommandText = "INSERT INTO Outbox (RequestId, Request, State, EnqueuedAt) VALUES ($id, $request, 'pending', $at) " +
            "ON CONFLICT (RequestId) DO UPDATE SET RequestId = RequestId RETURNING Request";
        command.Parameters.AddWithValue("$id", request.RequestId);
        command.Parameters.AddWithValue("$request", bytes);
        command.Parameters.AddWithValue("$at", _options.Time.GetUtcNow().ToString("O", CultureInfo.InvariantCulture));
        var stored = (byte[]?)await command.ExecuteScalarAsync(cancellationToken);
        if (stored is not null && !stored.AsSpan().SequenceEqual(bytes))
        {
            throw new ArgumentException($"request_id {request.RequestId} is already in the outbox for another arrival; use a new request_id for a new announcement.", nameof(requestId));
        }
        _work.Release();
        return request.RequestId;
    }

    /// <summary>Sends pending announcements until the outbox is empty or the gateway stays unreachable
    /// (they stay pending). Returns how many were confirmed in this pass.</summary>
    public async Task<int> DrainAsync(CancellationToken cancellationToken = default)
    {
        await _drain.WaitAsync(cancellationToken);
        try
        {
            var confirmed = 0;
            foreach (var (requestId, bytes) in await PendingAsync(cancellationToken))
            {
                var request = AnnounceArrivalRequest.Parser.ParseFrom(bytes);
                try
                {
                    var arrival = await _client.AnnounceArrivalAsync(request.Arrival, request.RequestId, cancellationToken);
                    await MarkAsync(requestId, "confirmed", arrival.ArrivalId, null, attempted: true, cancellationToken);
                    confirmed++;
                }
                catch (RpcException e) when (e.StatusCode is StatusCode.PermissionDenied or StatusCode.Unauthenticated)
                {
                    // About the caller (its certificate, its role, a registry being reloaded), not this
                    // announcement: every one stays pending, in order, for a later pass.
                    await CountAttemptAsync(requestId, cancellationToken);
                    return confirmed;
                }
                catch (RpcException e) when (e.StatusCode is StatusCode.Internal or StatusCode.Unknown && !GatewayResilience.IsTransportFailure(e))
                {
                    // A fault the gateway answered for this one: the others must not wait behind it.
                    if (await CountAttemptAsync(requestId, cancellationToken) >= _options.MaxFailures)
                    {
                        await MarkAsync(requestId, "parked", null, $"{e.StatusCode} {_options.MaxFailures} times: {e.Status.Detail}", attempted: false, cancellationToken);
                    }
                }
                catch (RpcException e) when (!GatewayResilience.IsRetryable(e) && e.StatusCode is not StatusCode.Cancelled)
                {
                    // The gateway answered: this announcement will never be accepted as it is. Park it
                    // for a person to correct or retry (RetryParkedAsync); it is not silently dropped.
                    await MarkAsync(requestId, "parked", null, $"{e.StatusCode}: {e.Status.Detail}", attempted: true, cancellationToken);
                }
                catch (Exception e) when (e is RpcException or BrokenCircuitException or TimeoutRejectedException or HttpRequestException)
                {
                    await CountAttemptAsync(requestId, cancellationToken);
                    return confirmed; // the gateway is unreachable for now: try again later, in order
                }
            }
            return confirmed;
        }
        finally
        {
            _drain.Release();
        }
    }

    /// <summary>Drains whenever something is enqueued, and every <paramref name="retryInterval"/>
    /// while anything is pending, until cancelled.</summary>
    public async Task RunAsync(TimeSpan retryInterval, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            await DrainAsync(cancellationToken);
            var pending = await CountAsync("pending", cancellationToken);
            await _work.WaitAsync(pending > 0 ? retryInterval : Timeout.InfiniteTimeSpan, cancellationToken);
        }
    }

    /// <summary>How many announcements are in <paramref name="state"/>: pending, confirmed or parked
    /// ("refused", this SDK's name before 1.0.0-rc.2, counts the parked).</summary>
    public async Task<int> CountAsync(string state, CancellationToken cancellationToken = default)
    {
        await using var command = _connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM Outbox WHERE State = $state";
        command.Parameters.AddWithValue("$state", state == "refused" ? "parked" : state);
        return Convert.ToInt32(await command.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture);
    }

    /// <summary>The parked announcements, in the order they were queued, each with the gateway's reason
    /// (status and detail), when it was parked and after how many tries: for a person to correct, or to
    /// retry once the cause is mended (<see cref="RetryParkedAsync"/>).</summary>
    public async Task<IReadOnlyList<ParkedAnnouncement>> ParkedAsync(CancellationToken cancellationToken = default)
    {
        var parked = new List<ParkedAnnouncement>();
        await using var command = _connection.CreateCommand();
        command.CommandText = "SELECT RequestId, COALESCE(Error, ''), ParkedAt, Attempts FROM Outbox WHERE State = 'parked' ORDER BY Position";
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            parked.Add(new ParkedAnnouncement(reader.GetString(0), reader.GetString(1),
                reader.IsDBNull(2) ? null : DateTimeOffset.Parse(reader.GetString(2), CultureInfo.InvariantCulture), reader.GetInt32(3)));
        }
        return parked;
    }

    /// <summary>The parked announcements as (request_id, reason).</summary>
    [Obsolete("Use ParkedAsync, which also says when each was parked. Kept for callers of 1.0.0-rc.1.")]
    public async Task<IReadOnlyList<(string RequestId, string Reason)>> RefusedAsync(CancellationToken cancellationToken = default) =>
        [.. (await ParkedAsync(cancellationToken)).Select(p => (p.RequestId, p.Reason))];

    /// <summary>Puts parked announcements back in the queue, at their original place and with their
    /// request_ids (so one the gateway did store after all is not stored twice), their failure count
    /// reset: all of them, or only <paramref name="requestId"/>. Returns how many.</summary>
    public async Task<int> RetryParkedAsync(string? requestId = null, CancellationToken cancellationToken = default)
    {
        await using var command = _connection.CreateCommand();
        command.CommandText = "UPDATE Outbox SET State = 'pending', Attempts = 0, Error = NULL, ParkedAt = NULL WHERE State = 'parked' AND ($id IS NULL OR RequestId = $id)";
        command.Parameters.AddWithValue("$id", (object?)requestId ?? DBNull.Value);
        var count = await command.ExecuteNonQueryAsync(cancellationToken);
        if (count > 0)
        {
            _work.Release();
        }
        return count;
    }

    /// <summary>The arrival id the gateway gave a confirmed announcement, or null.</summary>
    public async Task<string?> ArrivalIdAsync(string requestId, CancellationToken cancellationToken = default)
    {
        await using var command = _connection.CreateCommand();
        command.CommandText = "SELECT ArrivalId FROM Outbox WHERE RequestId = $id";
        command.Parameters.AddWithValue("$id", requestId);
        return await command.ExecuteScalarAsync(cancellationToken) as string;
    }

    private async Task<List<(string RequestId, byte[] Request)>> PendingAsync(CancellationToken cancellationToken)
    {
        var pending = new List<(string, byte[])>();
        await using var command = _connection.CreateCommand();
        command.CommandText = "SELECT RequestId, Request FROM Outbox WHERE State = 'pending' ORDER BY Position";
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            pending.Add((reader.GetString(0), (byte[])reader.GetValue(1)));
        }
        return pending;
    }

    /// <summary>Sets the entry's state; <paramref name="attempted"/>: counts the attempt that decided it
    /// (false when it was counted already).</summary>
    private async Task MarkAsync(string requestId, string state, string? arrivalId, string? error, bool attempted, CancellationToken cancellationToken)
    {
        await using var command = _connection.CreateCommand();
        command.CommandText = $"UPDATE Outbox SET State = $state, ArrivalId = $arrival, Error = $error, Attempts = Attempts + {(attempted ? 1 : 0)}, " +
            "ParkedAt = CASE WHEN $state = 'parked' THEN $at END WHERE RequestId = $id";
        command.Parameters.AddWithValue("$state", state);
        command.Parameters.AddWithValue("$arrival", (object?)arrivalId ?? DBNull.Value);
        command.Parameters.AddWithValue("$error", (object?)error ?? DBNull.Value);
        command.Parameters.AddWithValue("$at", _options.Time.GetUtcNow().ToString("O", CultureInfo.InvariantCulture));
        command.Parameters.AddWithValue("$id", requestId);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Counts a failed attempt; returns how many there have been.</summary>
    private async Task<long> CountAttemptAsync(string requestId, CancellationToken cancellationToken)
    {
        await using var command = _connection.CreateCommand();
        command.CommandText = "UPDATE Outbox SET Attempts = Attempts + 1 WHERE RequestId = $id RETURNING Attempts";
        command.Parameters.AddWithValue("$id", requestId);
        return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture);
    }

    private static async Task ExecuteAsync(SqliteConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task<object?> ScalarAsync(SqliteConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return await command.ExecuteScalarAsync(cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        await _connection.DisposeAsync();
        _drain.Dispose();
        _work.Dispose();
    }
}
