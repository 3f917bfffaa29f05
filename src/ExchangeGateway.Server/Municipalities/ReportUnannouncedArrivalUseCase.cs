using System.Globalization;
using ExchangeGateway.Contracts.V1;
using ExchangeGateway.Server.Arrivals;
using ExchangeGateway.Server.Rules;
using Google.Protobuf.Collections;
using Microsoft.EntityFrameworkCore;

namespace ExchangeGateway.Server.Municipalities;

/// <summary>ReportUnannouncedArrival: people who turned up in a municipality
/// without an announcement (the nareizigers of the VNG letter). COA, the IND and chain coordination
/// learn what the gateway matched; the reporter learns only whether each person was announced to it.</summary>
internal sealed class ReportUnannouncedArrivalUseCase(GatewayStore store, TimeProvider time)
    : WriteUseCase<ReportUnannouncedArrivalRequest, ReportUnannouncedArrivalResponse>(store)
{
    /// <summary>Most people in one report (the contract's limit, one household and then some).</summary>
    private const int MaxReportedPersons = 25;

    protected override void Validate(ReportUnannouncedArrivalRequest request, Caller caller, Violations violations)
    {
        ValidateReportingCode(violations, caller.Organisation, request.MunicipalityCode);
        ValidateReportedVNumbers(violations, request.VNumbers);
        var arrivedOn = violations.CompleteDate("arrived_on", request.ArrivedOn);
        var today = AmsterdamCalendar.Today(time);
        if (arrivedOn > today)
        {
            violations.Add("arrived_on", "must not be in the future");
        }
        else if (arrivedOn < today.AddYears(-1))
        {
            violations.Add("arrived_on", "must be within the last year");
        }
        violations.OptionalText("note", request.Note, 500);
    }

    protected override void Check(ReportUnannouncedArrivalRequest request, Caller caller) =>
        AccessPolicy.EnsureReportsFor(caller, ReportingCode(caller.Organisation, request.MunicipalityCode));

    protected override async Task<ReportUnannouncedArrivalResponse> ExecuteAsync(ReportUnannouncedArrivalRequest request, WriteContext write)
    {
        var report = new UnannouncedReportEntity
        {
            Id = Guid.CreateVersion7(write.Now).ToString(),
            MunicipalityCode = ReportingCode(write.Caller.Organisation, request.MunicipalityCode),
            ReportedBy = write.Caller.Organisation.Id,
            ReportedAt = write.Now,
            ArrivedOn = ArrivalMapping.ToDateOnly(request.ArrivedOn),
            Note = request.Note.Length > 0 ? request.Note : null,
        };
        report.Persons = await UnannouncedMatching.MatchAsync(write.Db, report.Id, report.MunicipalityCode, request.VNumbers, write.CancellationToken);
        write.Db.UnannouncedReports.Add(report);
        await RecordOnOpenArrivalsAsync(write, report);
        Notify(write, report);
        return Answer(report);
    }

    /// <summary>The code the people turned up in: as given, or the caller's only code when empty.</summary>
    private static void ValidateReportingCode(Violations violations, Organisation organisation, string requested)
    {
        if (requested.Length == 0 && organisation.MunicipalityCodes.Count != 1)
        {
            violations.Add("municipality_code", "is required: your organisation serves several municipality codes");
        }
        else if (requested.Length > 0 && !Identifiers.IsMunicipalityCodeFormat(requested))
        {
            violations.Add("municipality_code", "must be a municipality code of 4 digits");
        }
    }

    /// <summary>The code of a request <see cref="ValidateReportingCode"/> accepted.</summary>
    private static string ReportingCode(Organisation organisation, string requested) =>
        requested.Length > 0 ? requested : organisation.MunicipalityCodes[0];

    private static void ValidateReportedVNumbers(Violations violations, RepeatedField<string> vNumbers)
    {
        if (vNumbers.Count == 0)
        {
            violations.Add("v_numbers", "must hold at least one V-number");
            return;
        }
        if (vNumbers.Count > MaxReportedPersons)
        {
            violations.Add("v_numbers", $"must hold at most {MaxReportedPersons} V-numbers; report larger groups in several reports");
            return;
        }
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < vNumbers.Count; i++)
        {
            var field = $"v_numbers[{i}]";
            violations.VNumber(field, vNumbers[i]);
            if (vNumbers[i].Length > 0 && !seen.Add(vNumbers[i]))
            {
                violations.Add(field, "appears twice in this request");
            }
        }
    }

    /// <summary>An open arrival that names reported people says so in its history, for COA and the
    /// arrival's municipality. Closed arrivals are left as they ended. No V-numbers: only how many.</summary>
    private static async Task RecordOnOpenArrivalsAsync(WriteContext write, UnannouncedReportEntity report)
    {
        var counts = report.Persons
            .Where(p => p.MatchedArrivalId is not null && p.Match != UnannouncedMatch.OnlyClosedArrivals)
            .GroupBy(p => p.MatchedArrivalId!, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        if (counts.Count == 0)
        {
            return;
        }
        var ids = counts.Keys.ToList();
        var arrivals = await write.Db.Arrivals.Where(a => ids.Contains(a.Id)).ToListAsync(write.CancellationToken);
        foreach (var arrival in arrivals)
        {
            ArrivalLifecycle.Record(write, arrival, "reported-unannounced", string.Create(CultureInfo.InvariantCulture,
                $"Municipality {report.MunicipalityCode} reported {counts[arrival.Id]} traveller(s) of this arrival as arrived there unannounced on {report.ArrivedOn:yyyy-MM-dd} (report {report.Id})."));
        }
    }

    /// <summary>COA and the IND get the whole match; chain coordination gets it without V-numbers,
    /// since it acts on figures and arrivals, not on people (data minimisation).</summary>
    private static void Notify(WriteContext write, UnannouncedReportEntity report)
    {
        var reported = new UnannouncedArrivalReported
        {
            ReportId = report.Id,
            MunicipalityCode = report.MunicipalityCode,
            ArrivedOn = ArrivalMapping.ToDate(report.ArrivedOn),
            Note = report.Note ?? "",
        };
        reported.Persons.AddRange(report.Persons.Select(p => new UnannouncedPerson
        {
            VNumber = p.VNumber,
            Match = p.Match,
            MatchedArrivalId = p.MatchedArrivalId ?? "",
            MatchedMunicipalityCode = p.MatchedMunicipalityCode ?? "",
        }));
        var forChain = reported.Clone();
        foreach (var person in forChain.Persons)
        {
            person.VNumber = "";
        }
        write.Outbox.Add(FeedNames.Coa, report.Id, new Notice { UnannouncedArrivalReported = reported });
        write.Outbox.Add(FeedNames.Ind, report.Id, new Notice { UnannouncedArrivalReported = reported.Clone() });
        write.Outbox.Add(FeedNames.Chain, report.Id, new Notice { UnannouncedArrivalReported = forChain });
    }

    /// <summary>Per person only "announced to you, as this arrival" or "not announced to you".</summary>
    private static ReportUnannouncedArrivalResponse Answer(UnannouncedReportEntity report)
    {
        var response = new ReportUnannouncedArrivalResponse { ReportId = report.Id };
        response.Persons.AddRange(report.Persons.OrderBy(p => p.Position).Select(p =>
        {
            var here = UnannouncedMatching.IsAnnouncedHere(p.Match);
            return new UnannouncedPersonResult
            {
                VNumber = p.VNumber,
                AnnouncedHere = here,
                ArrivalId = here ? p.MatchedArrivalId ?? "" : "",
            };
        }));
        return response;
    }
}
