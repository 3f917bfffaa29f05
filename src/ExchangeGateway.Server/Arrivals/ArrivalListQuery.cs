using System.Buffers.Text;
using System.Text;
using ExchangeGateway.Contracts.V1;
using Microsoft.EntityFrameworkCore;

namespace ExchangeGateway.Server.Arrivals;

/// <summary>A validated ListArrivals request. Pages are keyed on the arrival id (a version 7 UUID,
/// so newest first is id descending) and the token is opaque to callers.</summary>
internal sealed class ArrivalListQuery
{
    public const int DefaultPageSize = 50;
    public const int MaxPageSize = 500;

    private int _pageSize;
    private string? _after;
    private string? _municipalityCode;
    private ArrivalState _state;
    private DateOnly? _expectedFrom;
    private DateOnly? _expectedTo;
    private string? _caseReference;

    public static ArrivalListQuery Parse(ListArrivalsRequest request)
    {
        var violations = new Violations();
        var query = new ArrivalListQuery
        {
            _pageSize = request.PageSize == 0 ? DefaultPageSize : request.PageSize,
            _state = request.State,
            _caseReference = request.CaseReference.Length > 0 ? request.CaseReference : null,
        };
        if (request.PageSize is < 0 or > MaxPageSize)
        {
            violations.Add("page_size", $"must be 0 (default {DefaultPageSize}) to {MaxPageSize}");
        }
        if (request.PageToken.Length > 0)
        {
            query._after = DecodeToken(request.PageToken);
            if (query._after is null)
            {
                violations.Add("page_token", "is not a token this gateway returned");
            }
        }
        if (request.MunicipalityCode.Length > 0)
        {
            if (!Identifiers.IsMunicipalityCodeFormat(request.MunicipalityCode))
            {
                violations.Add("municipality_code", "must be a municipality code of 4 digits");
            }
            query._municipalityCode = request.MunicipalityCode;
        }
        if (!Enum.IsDefined(request.State))
        {
            violations.Add("state", "is not a known arrival state");
        }
        if (request.ExpectedFrom is not null)
        {
            query._expectedFrom = violations.CompleteDate("expected_from", request.ExpectedFrom);
        }
        if (request.ExpectedTo is not null)
        {
            query._expectedTo = violations.CompleteDate("expected_to", request.ExpectedTo);
        }
        violations.OptionalText("case_reference", request.CaseReference, 64);
        violations.ThrowIfAny();
        return query;
    }

    public async Task<ListArrivalsResponse> RunAsync(GatewayDbContext db, Caller caller, CancellationToken cancellationToken)
    {
        // A municipality sees only what is addressed to it; filtering on another code finds nothing.
        var arrivals = AccessPolicy.Visible(caller, db.Arrivals.AsNoTracking().Include(a => a.Travellers));
        if (_municipalityCode is not null)
        {
            arrivals = arrivals.Where(a => a.MunicipalityCode == _municipalityCode);
        }
        if (_state != ArrivalState.Unspecified)
        {
            var state = _state;
            arrivals = arrivals.Where(a => a.State == state);
        }
        if (_expectedFrom is { } from)
        {
            arrivals = arrivals.Where(a => a.ExpectedArrivalDate >= from);
        }
        if (_expectedTo is { } to)
        {
            arrivals = arrivals.Where(a => a.ExpectedArrivalDate <= to);
        }
        if (_caseReference is not null)
        {
            arrivals = arrivals.Where(a => a.CaseReference == _caseReference);
        }
        if (_after is not null)
        {
            arrivals = arrivals.Where(a => string.Compare(a.Id, _after) < 0);
        }
        var page = await arrivals.OrderByDescending(a => a.Id).Take(_pageSize + 1).AsSplitQuery().ToListAsync(cancellationToken);
        var response = new ListArrivalsResponse();
        response.Arrivals.AddRange(page.Take(_pageSize).Select(a => ArrivalMapping.ToContract(a, withHistory: false)));
        if (page.Count > _pageSize)
        {
            response.NextPageToken = EncodeToken(page[_pageSize - 1].Id);
        }
        return response;
    }

    private static string EncodeToken(string lastId) => Base64Url.EncodeToString(Encoding.ASCII.GetBytes("v1:" + lastId));

    private static string? DecodeToken(string token)
    {
        if (token.Length > 128)
        {
            return null;
        }
        try
        {
            var text = Encoding.ASCII.GetString(Base64Url.DecodeFromChars(token));
            return text.StartsWith("v1:", StringComparison.Ordinal) && Guid.TryParseExact(text[3..], "D", out var id) ? id.ToString() : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
