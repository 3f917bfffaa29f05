using ExchangeGateway.Contracts.V1;
using ExchangeGateway.Server.Deadlines;
using Grpc.Core;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace ExchangeGateway.Server.Municipalities;

/// <summary>Escalates an identifier conflict that a municipality's report ran into. The report itself
/// is refused and its unit of work rolled back, so the gateway raises the escalation in a write of its
/// own, and only once while it is open: a client that retries the refused report (it will, with the
/// same request_id, since nothing was stored) raises nothing new. An open escalation of the same kind
/// on the same arrival with the same description is the same conflict; descriptions therefore say
/// which conflict it is (kind, traveller position) without any identifier.</summary>
internal sealed class IdentifierConflicts(GatewayStore store, IOptions<GatewayOptions> options)
{
    private readonly Caller _gateway = Caller.Gateway(options.Value.GatewayOin);

    /// <summary>Awaits <paramref name="work"/>; when it fails with an <see cref="IdentifierConflictException"/>,
    /// escalates that conflict before passing the error on. The caller gets its refusal only once the
    /// escalation is stored: if storage fails here it gets UNAVAILABLE instead and retries, so the
    /// conflict is not lost.</summary>
    public async Task<T> EscalatingAsync<T>(Task<T> work)
    {
        try
        {
            return await work;
        }
        catch (IdentifierConflictException conflict)
        {
            await RaiseOnceAsync(conflict.ArrivalId, conflict.Description);
            throw;
        }
    }

    /// <summary>Raises the escalation unless the same one is open; returns whether it raised one.</summary>
    /// <remarks>Not the caller's cancellation: the conflict is escalated even if the client that ran
    /// into it has gone. Of two instances raising the same escalation at once, the second's update
    /// finds the arrival's version changed and the write batcher runs it again: it then sees the open one.</remarks>
    public Task<bool> RaiseOnceAsync(string arrivalId, string description) =>
        store.WriteAsync(_gateway, write => RaiseUnlessOpenAsync(write, arrivalId, description), CancellationToken.None);

    private static async Task<bool> RaiseUnlessOpenAsync(WriteContext write, string arrivalId, string description)
    {
        const EscalationKind kind = EscalationKind.IdentifierConflict;
        var open = await write.Db.Escalations.AnyAsync(
            e => e.ArrivalId == arrivalId && e.Kind == kind && e.ResolvedAt == null && e.Description == description, write.CancellationToken);
        var arrival = open ? null : await write.Db.Arrivals.FirstOrDefaultAsync(a => a.Id == arrivalId, write.CancellationToken);
        if (arrival is null)
        {
            return false;
        }
        // Raising bumps the arrival's version, which is a concurrency token: of two instances raising
        // the same escalation at once, the second fails its update and looks again.
        Escalations.Raise(write, arrival, EscalationKind.IdentifierConflict, description);
        return true;
    }
}

/// <summary>A report refused because it contradicts recorded identifiers: the caller's error, with the
/// escalation's description, which must not carry personal data. Thrown in the report's unit of work,
/// which rolls it back; <see cref="IdentifierConflicts.EscalatingAsync"/> raises the escalation after.</summary>
internal sealed class IdentifierConflictException(string arrivalId, string description, RpcException error)
    : RpcException(error.Status, error.Trailers, error.Message)
{
    public string ArrivalId { get; } = arrivalId;

    public string Description { get; } = description;
}
