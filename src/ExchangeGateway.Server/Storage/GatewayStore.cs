using System.Security.Cryptography;
using ExchangeGateway.Server.Audit;
using ExchangeGateway.Server.Errors;
using ExchangeGateway.Server.Feed;
using ExchangeGateway.Server.Hosting;
using ExchangeGateway.Server.Identity;
using Google.Protobuf;
using Microsoft.EntityFrameworkCore;
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
    ILogger<GatewayStore> logger) : IAsyncDisposable
{
    private readonly ResiliencePipeline _retry = StorageResilience.CreatePipeline();
    private readonly WriteBatcher _batcher = new(contexts, feeds, auditKey, time, logger, options.Value.MaxWriteBatch);

    public ValueTask DisposeAsync() => _batcher.DisposeAsync();

    /// <summary>Runs a mutating request once per (organisation, request_id): a repeat returns the
    /// first answer, a different request under the same id is ALREADY_EXISTS.</summary>
    public async Task<TResponse> ExecuteAsync<TResponse>(
        Caller caller,
        string method,
        IMessage request,
        string requestId,
        Func<WriteContext, Task<TResponse>> work,
        CancellationToken cancellationToken)
        where TResponse : IMessage<TResponse>, new()
    {
        var requestHash = HashWithoutRequestId(request);
        var audit = AuditScope.Current;
        var repeated = false;
        var answer = await WriteAsync(caller, async context =>
        {
            var organisationId = caller.Organisation.Id;
            var first = await context.Db.IdempotencyRecords.AsNoTracking()
                .FirstOrDefaultAsync(r => r.OrganisationId == organisationId && r.RequestId == requestId, context.CancellationToken);
            if (first is not null)
            {
                context.Abandon();
                repeated = true;
                return Repeat<TResponse>(first, method, requestHash, requestId);
            }
            repeated = false;
            var response = await work(context);
            if (audit is not null)
            {
                // The record of this processing commits with the change it records, or not at all;
                // the notices the change causes name it, so their deliveries are recorded as links to it.
                var record = audit.Record("OK", context.Now, AuditSubjects.Of(request, response));
                context.Db.AuditRecords.Add(record);
                context.Outbox.Cause = record;
            }
            context.Db.IdempotencyRecords.Add(new IdempotencyEntity
            {
                OrganisationId = organisationId,
                RequestId = requestId,
                Method = method,
                RequestHash = requestHash,
                Response = response.ToByteArray(),
                CreatedAt = context.Now,
                ExpiresAt = context.Now + options.Value.RequestIdRetention,
            });
            return response;
        }, cancellationToken);
        if (audit is not null && !repeated)
        {
            audit.Recorded = true;
        }
        return answer;
    }

    /// <summary>Runs a write; it commits in one transaction with the notices it adds through the
    /// context, possibly together with other writes (group commit, see <see cref="WriteBatcher"/>).</summary>
    public async Task<T> WriteAsync<T>(Caller caller, Func<WriteContext, Task<T>> work, CancellationToken cancellationToken)
    {
        try
        {
            return await _batcher.WriteAsync(caller, work, cancellationToken);
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

    private static TResponse Repeat<TResponse>(IdempotencyEntity first, string method, byte[] requestHash, string requestId)
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
                    ["original_time"] = first.CreatedAt.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
                });
        }
        var parser = new MessageParser<TResponse>(() => new TResponse());
        return parser.ParseFrom(first.Response);
    }

    /// <summary>Hashes the request as the client meant it: its bytes with request_id cleared.</summary>
    private static byte[] HashWithoutRequestId(IMessage request)
    {
        var copy = request.Descriptor.Parser.ParseFrom(request.ToByteString());
        request.Descriptor.FindFieldByName("request_id")?.Accessor.Clear(copy);
        return SHA256.HashData(copy.ToByteArray());
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Storage unavailable ({ExceptionType}); the call was answered UNAVAILABLE.")]
    private static partial void LogStorageUnavailable(ILogger logger, string exceptionType, Exception exception);
}
