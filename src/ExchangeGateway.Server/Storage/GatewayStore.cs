using System.Security.Cryptography;
using ExchangeGateway.Server.Audit;
using ExchangeGateway.Server.Feed;
using ExchangeGateway.Server.Observability;
using Google.Protobuf;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly;

namespace ExchangeGateway.Server.Storage;

/// <summary>Runs units of work against the database. A write commits its change, the notices it
/// causes and (for requests with a request_id) the answer to repeat, in one transaction; only then
/// are the feeds woken. Transient storage faults are retried here; storage that stays unavailable
/// becomes UNAVAILABLE for the caller, never INTERNAL and never an OK.</summary>
internal sealed partial class GatewayStore(
    GatewayDbContextFactory contexts,
    FeedHub feeds,
    AuditKey auditKey,
    TimeProvider time,
    IOptions<GatewayOptions> options,
    ILogger<GatewayStore> logger,
    GatewayMetrics? metrics = null) : IAsyncDisposable
{
    private readonly ResiliencePipeline _retry = StorageResilience.CreatePipeline();
    private readonly WriteBatcher _batcher = new(contexts, feeds, auditKey, time, logger, options.Value.MaxWriteBatch, options.Value.MaxQueuedWrites, metrics);

    /// <summary>The single writer, for readiness.</summary>
    public WriteBatcher Writer => _batcher;

    public ValueTask DisposeAsync() => _batcher.DisposeAsync();

    /// <summary>Runs a mutating request once per (organisation, request_id): a repeat returns the
    /// first answer, a different request under the same id is ALREADY_EXISTS. <paramref name="work"/>
    /// runs on the writer (it reads and changes stored rows).</summary>
    public Task<TResponse> ExecuteAsync<TResponse>(
        Caller caller,
        string method,
        IMessage request,
        string requestId,
        Func<WriteContext, Task<TResponse>> work,
        CancellationToken cancellationToken)
        where TResponse : IMessage<TResponse>, new() =>
        ExecuteCoreAsync<TResponse>(caller, method, request, requestId, outbox: null, prepared: false, async write =>
        {
            var response = await work(write);
            return new Answer(response, response.ToByteArray(), AuditSubjects.Of(response));
        }, cancellationToken);

    /// <summary>Runs a mutating request whose change was built on the caller's thread (rows, notices and
    /// answer): the writer only checks what needs the stored state and inserts.</summary>
    public Task<TResponse> ExecuteAsync<TResponse>(
        Caller caller,
        string method,
        IMessage request,
        string requestId,
        PreparedChange<TResponse> change,
        CancellationToken cancellationToken)
        where TResponse : IMessage<TResponse>, new()
    {
        var answer = new Answer(change.Response, change.Response.ToByteArray(), AuditSubjects.Of(change.Response));
        return ExecuteCoreAsync<TResponse>(caller, method, request, requestId, change.Context.Outbox, prepared: true, async write =>
        {
            await change.Apply(write);
            return answer;
        }, cancellationToken);
    }

    /// <summary>A new outbox for a change built outside the writer.</summary>
    public ChangeContext NewChange(Caller caller)
    {
        var now = time.GetUtcNow().UtcDateTime;
        return new ChangeContext(caller, now, new NoticeOutbox(caller.Source, now, auditKey));
    }

    private async Task<TResponse> ExecuteCoreAsync<TResponse>(
        Caller caller,
        string method,
        IMessage request,
        string requestId,
        NoticeOutbox? outbox,
        bool prepared,
        Func<WriteContext, Task<Answer>> body,
        CancellationToken cancellationToken)
        where TResponse : IMessage<TResponse>, new()
    {
        // Everything that needs no stored state is done here, on the caller's thread.
        var requestHash = RequestHash.Of(request);
        var audit = AuditScope.Current;
        var requestSubjects = audit is null ? null : AuditSubjects.Of(request);
        var organisationId = caller.Organisation.Id;
        var repeated = false;
        var response = await WriteAsync(caller, async write =>
        {
            // A prepared change's first run inserts without looking: its rows can be refused only by a
            // unique index (the request record's key refuses a request_id already stored), and the run
            // after that finds the stored answer. A unit that reads and checks the stored state must look
            // first: run again after the first call, it would refuse what the first call changed.
            var first = write.FirstRun && prepared ? null : await StorageStatements.FindRequestAsync(write.Connection, write.Transaction, organisationId, requestId, write.CancellationToken);
            if (first is not null)
            {
                write.Discard(); // the notices prepared for this call must not go out: nothing of it is stored
                repeated = true;
                return Repeat<TResponse>(first, method, requestHash, requestId);
            }
            repeated = false;
            var answer = await body(write);
            if (audit is not null)
            {
                // The record of this processing commits with the change it records, or not at all;
                // the notices the change causes name it, so their deliveries are recorded as links to it.
                requestSubjects!.UnionWith(answer.Subjects);
                var record = audit.Entry("OK", write.Now);
                record.Id = await write.Statements.InsertAuditRecordAsync(write.Connection, write.Transaction, record, audit.Protect(requestSubjects), [], write.CancellationToken);
                write.Outbox.Cause = record;
            }
            await StorageStatements.InsertRequestAsync(write.Connection, write.Transaction, new IdempotencyEntity
            {
                OrganisationId = organisationId,
                RequestId = requestId,
                Method = method,
                RequestHash = requestHash,
                Response = answer.Bytes,
                CreatedAt = write.Now,
                ExpiresAt = write.Now + options.Value.RequestIdRetention,
            }, write.CancellationToken);
            return (TResponse)answer.Response;
        }, cancellationToken, outbox);
        if (audit is not null && !repeated)
        {
            audit.Recorded = true;
        }
        return response;
    }

    /// <summary>Runs a write; it commits in one transaction with the notices it adds through the
    /// context, possibly together with other writes (group commit, see <see cref="WriteBatcher"/>).</summary>
    public async Task<T> WriteAsync<T>(Caller caller, Func<WriteContext, Task<T>> work, CancellationToken cancellationToken, NoticeOutbox? outbox = null)
    {
        try
        {
            return await _batcher.WriteAsync(caller, work, cancellationToken, outbox);
        }
        catch (Exception exception) when (StorageResilience.IsUnavailable(exception))
        {
            throw GatewayErrors.Unavailable("Storage is unavailable for now; nothing was stored. Retry with the same request_id.");
        }
    }

    /// <summary>Runs a read with the same retry and UNAVAILABLE mapping as writes.</summary>
    public async Task<T> ReadAsync<T>(Func<GatewayDbContext, CancellationToken, Task<T>> read, CancellationToken cancellationToken)
    {
        try
        {
            return await _retry.ExecuteAsync(async token =>
            {
                await using var db = contexts.CreateDbContext();
                return await read(db, token);
            }, cancellationToken);
        }
        catch (Exception exception) when (StorageResilience.IsUnavailable(exception))
        {
            LogStorageUnavailable(logger, exception.GetType().Name, exception);
            throw GatewayErrors.Unavailable("Storage is unavailable for now. Retry later.");
        }
    }

    private static TResponse Repeat<TResponse>(StoredRequest first, string method, byte[] requestHash, string requestId)
        where TResponse : IMessage<TResponse>, new()
    {
        if (first.Method != method || !CryptographicOperations.FixedTimeEquals(first.RequestHash, requestHash))
        {
            throw GatewayErrors.AlreadyExists(
                "REQUEST_ID_REUSED",
                $"request_id '{requestId}' was already used on {first.CreatedAt:yyyy-MM-ddTHH:mm:ss.fffZ} for a different {first.Method} request; use a new request_id for a new request.",
                new Dictionary<string, string>
                {
                    ["request_id"] = requestId,
                    ["original_method"] = first.Method,
                    // Stored as UTC; providers read it back without a kind, so say it (RFC 3339 with Z).
                    ["original_time"] = DateTime.SpecifyKind(first.CreatedAt, DateTimeKind.Utc).ToString("O", System.Globalization.CultureInfo.InvariantCulture),
                });
        }
        var parser = new MessageParser<TResponse>(() => new TResponse());
        return parser.ParseFrom(first.Response);
    }

    [LoggerMessage(EventId = 13001, Level = LogLevel.Warning, Message = "Storage unavailable ({ExceptionType}); the call was answered UNAVAILABLE.")]
    private static partial void LogStorageUnavailable(ILogger logger, string exceptionType, Exception exception);
}

/// <summary>A change built on the request thread: its context (caller, time, the notices it causes), the
/// answer, and what the writer does with it: checks that need the stored state, then inserts. A first
/// run (<see cref="WriteContext.FirstRun"/>) does not look for its request_id, so <c>Apply</c> may refuse
/// nothing in it except through a unique index: a check of its own belongs in the runs after one.</summary>
internal sealed record PreparedChange<TResponse>(ChangeContext Context, TResponse Response, Func<WriteContext, Task> Apply);

/// <summary>A unit's answer with its stored form and its data subjects.</summary>
internal sealed record Answer(IMessage Response, byte[] Bytes, HashSet<(SubjectKind Kind, string Identifier)> Subjects);
