namespace ExchangeGateway.Server.Identity;

/// <summary>The roles that may call a gRPC method, written on its handler. grpc-dotnet's binder (and ours,
/// <c>StrictRequestParsing</c>) copies a handler's attributes into its endpoint's metadata, where
/// <see cref="AccessPolicy"/> reads them on every call; a method without one is allowed to nobody, and
/// start-up refuses it (<see cref="MethodPolicyCheck"/>).</summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
internal sealed class AllowAttribute(params OrganisationRole[] roles) : Attribute
{
    public IReadOnlyList<OrganisationRole> Roles { get; } = roles;
}
