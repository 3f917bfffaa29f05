using ExchangeGateway.Contracts.V1;
using ExchangeGateway.Server.Audit;
using Grpc.Core;

namespace ExchangeGateway.Server.Municipalities;

/// <summary>MunicipalityService: a municipality's BRP system reports registration and BSNs of the
/// travellers of arrivals addressed to it, decides on consent, and reports unannounced arrivals. COA
/// and the IND are told. Each method is one use case.</summary>
internal sealed class MunicipalityGrpcService(
    ReportRegistrationUseCase registration,
    ReportBsnAssignedUseCase bsn,
    DecideConsentUseCase consent,
    ReportUnannouncedArrivalUseCase unannounced) : MunicipalityService.MunicipalityServiceBase
{
    [Allow(OrganisationRole.Municipality)]
    [ProcessingActivity("Melden inschrijving BRP")]
    public override Task<ArrivalResponse> ReportRegistration(ReportRegistrationRequest request, ServerCallContext context) =>
        registration.RunAsync(request, context);

    [Allow(OrganisationRole.Municipality)]
    [ProcessingActivity("Melden toekenning BSN")]
    public override Task<ArrivalResponse> ReportBsnAssigned(ReportBsnAssignedRequest request, ServerCallContext context) =>
        bsn.RunAsync(request, context);

    [Allow(OrganisationRole.Municipality)]
    [ProcessingActivity("Besluiten instemming gemeente")]
    public override Task<ArrivalResponse> DecideConsent(DecideConsentRequest request, ServerCallContext context) =>
        consent.RunAsync(request, context);

    [Allow(OrganisationRole.Municipality)]
    [ProcessingActivity("Melden onaangekondigde aankomst")]
    public override Task<ReportUnannouncedArrivalResponse> ReportUnannouncedArrival(ReportUnannouncedArrivalRequest request, ServerCallContext context) =>
        unannounced.RunAsync(request, context);
}
