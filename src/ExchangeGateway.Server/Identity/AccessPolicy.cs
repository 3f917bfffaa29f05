using Grpc.Core;
using Microsoft.AspNetCore.Http;

namespace ExchangeGateway.Server.Identity;

/// <summary>Who may call what, and see what: the one place that decides. Which roles may call a method
/// stands on its handler (<see cref="AllowAttribute"/>); a method a role may never call is
/// PERMISSION_DENIED before any work is done. Which arrivals, municipalities and feeds a caller may
/// touch is decided here too; an arrival or municipality it may not see is answered as if it did not
/// exist.</summary>
internal static class AccessPolicy
{
    /// <summary>Whether <paramref name="role"/> may call the method this call is for. A method without
    /// <see cref="AllowAttribute"/> (start-up refuses one, see <see cref="MethodPolicyCheck"/>) is
    /// allowed to nobody.</summary>
    public static bool MayCall(ServerCallContext context, OrganisationRole role) =>
        MetadataOf<AllowAttribute>(context)?.Roles.Contains(role) == true;

    /// <summary>Whether the method is exempt from the audit log and the limits (<see cref="OperationalAttribute"/>).</summary>
    public static bool IsOperational(ServerCallContext context) => MetadataOf<OperationalAttribute>(context) is not null;

    /// <summary>The handler's attribute of this kind, from the endpoint's metadata.</summary>
    public static T? MetadataOf<T>(ServerCallContext context) where T : class =>
        context.GetHttpContext().GetEndpoint()?.Metadata.GetMetadata<T>();

    /// <summary>Whether the caller may see this arrival at all.</summary>
    public static bool CanSee(Caller caller, ArrivalEntity arrival) => CanSeeMunicipality(caller, arrival.MunicipalityCode);

    /// <summary>The arrivals the caller may see: a municipality only those addressed to a code it serves.</summary>
    public static IQueryable<ArrivalEntity> Visible(Caller caller, IQueryable<ArrivalEntity> arrivals)
    {
        if (caller.Organisation.Role != OrganisationRole.Municipality)
        {
            return arrivals;
        }
        var codes = caller.Organisation.MunicipalityCodes.ToList();
        return arrivals.Where(a => codes.Contains(a.MunicipalityCode));
    }

    /// <summary>Whether the caller may see a municipality's own figures; one it may not is answered as
    /// if it did not exist.</summary>
    public static bool CanSeeMunicipality(Caller caller, string municipalityCode) => caller.Organisation.Role switch
    {
        OrganisationRole.Coa or OrganisationRole.ChainCoordination => true,
        OrganisationRole.Municipality => caller.Organisation.Serves(municipalityCode),
        _ => false,
    };

    /// <summary>Refuses a report about a municipality the caller does not serve. Codes are public, so
    /// there is nothing to hide behind NOT_FOUND: the same answer as opening another municipality's feed.</summary>
    public static void EnsureReportsFor(Caller caller, string municipalityCode)
    {
        if (!caller.Organisation.Serves(municipalityCode))
        {
            throw GatewayErrors.PermissionDenied("NOT_YOUR_MUNICIPALITY",
                "Your organisation does not serve this municipality code; report only arrivals in a municipality you serve.");
        }
    }

    /// <summary>The feed a caller reads: its organisation's own, or for a municipal organisation the
    /// feed of the code it names (required when it serves several). <paramref name="field"/> names the
    /// request field in an INVALID_ARGUMENT.</summary>
    public static string FeedOf(Caller caller, string municipalityCode, string field)
    {
        var organisation = caller.Organisation;
        if (organisation.Role != OrganisationRole.Municipality)
        {
            if (municipalityCode.Length > 0)
            {
                throw GatewayErrors.InvalidArgument(field, "must be empty: only municipal organisations have municipality feeds");
            }
            return organisation.Feeds.Single();
        }
        if (municipalityCode.Length == 0)
        {
            return organisation.MunicipalityCodes.Count == 1
                ? FeedNames.Municipality(organisation.MunicipalityCodes[0])
                : throw GatewayErrors.InvalidArgument(field, "is required: your organisation serves several municipality codes");
        }
        if (!organisation.Serves(municipalityCode))
        {
            throw GatewayErrors.PermissionDenied("NOT_YOUR_FEED", "Your organisation does not serve this municipality code; you can only open your own feed.");
        }
        return FeedNames.Municipality(municipalityCode);
    }
}
