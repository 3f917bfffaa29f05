namespace ExchangeGateway.Server.Identity;

/// <summary>A method that touches no personal data and no storage (Ping, health, reflection): it is not
/// audited (nothing to account for) and not rate limited (refusing one costs as much as answering it, and
/// a probe refused would look like an outage). Stands on the handler, or is added to the endpoint's
/// metadata when the service is a library's (<c>GatewayHosting.MapExchangeGateway</c>).</summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
internal sealed class OperationalAttribute : Attribute;
