using ExchangeGateway.Server.Errors;
using ExchangeGateway.Server.Identity;

namespace ExchangeGateway.Server.Feed;

/// <summary>Which feed a caller reads: its own, and for a municipal organisation serving several codes
/// the one it names (streams and pull consumers alike).</summary>
internal static class FeedChoice
{
    public static string Of(Caller caller, string municipalityCode, string field)
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
