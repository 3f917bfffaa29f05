using System.CommandLine;
using ExchangeGateway.Server.Rest;

namespace ExchangeGateway.Cli.OpenApi;

/// <summary><c>exgw openapi</c>: writes the REST surface's OpenAPI document, generated from the
/// contract (descriptors and routes) with the .proto files' comments. The committed copy is
/// <c>openapi/exchange-v1.json</c>; a test fails when it is not what this writes.</summary>
internal static class OpenApiCommand
{
    public static Command Create()
    {
        var protos = new Option<string>("--protos") { Description = "The protos/ folder whose comments describe the operations and fields.", DefaultValueFactory = _ => "protos" };
        var output = new Option<string?>("--out") { Description = "Write here instead of to standard output (e.g. openapi/exchange-v1.json)." };
        var command = new Command("openapi", "Write the OpenAPI 3 document of the REST surface (what the gateway serves at /v1/openapi.json).") { protos, output };
        command.SetAction(async (result, cancellationToken) =>
        {
            var folder = result.GetValue(protos)!;
            var comments = ProtoComments.ReadContract(folder)
                ?? throw new UsageException($"no exchange/v1 .proto files under {folder}: run from the repository's root or give --protos.");
            var document = OpenApiDocument.Generate(OpenApiDocument.Version, comments);
            if (result.GetValue(output) is { } path)
            {
                await File.WriteAllTextAsync(path, document, cancellationToken);
            }
            else
            {
                await Console.Out.WriteAsync(document);
            }
            return 0;
        });
        return command;
    }
}
