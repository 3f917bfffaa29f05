namespace ExchangeGateway.Server.Audit;

/// <summary>The processing activity (verwerkingsactiviteit) of the register under which a method's calls
/// are audited, written on its handler and read from the endpoint's metadata by <see cref="AuditScope"/>.
/// Every audited method has one (start-up checks it, <c>MethodPolicyCheck</c>).</summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
internal sealed class ProcessingActivityAttribute(string name) : Attribute
{
    /// <summary>The activity of every delivery of notices: a stream, a fetch, an acknowledgement, a webhook.</summary>
    public const string ReceivingNotices = "Ontvangen notificaties";

    public string Name { get; } = name;
}
