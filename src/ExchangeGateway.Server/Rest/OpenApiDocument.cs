using System.Reflection;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using ExchangeGateway.Contracts.V1;
using Google.Api;
using Google.Protobuf.Reflection;

namespace ExchangeGateway.Server.Rest;

/// <summary>The OpenAPI 3 document of the REST surface, generated from the same descriptors and
/// <c>google.api.http</c> routes JSON transcoding serves, with the .proto files' comments as
/// descriptions. Committed as <c>openapi/exchange-v1.json</c> (the gateway serves that file at
/// <see cref="Path"/>); a test regenerates it and compares, and checks it against the running routes.</summary>
internal static class OpenApiDocument
{
    /// <summary>Where the gateway serves it (NL GOV API Design Rules API-51: <c>openapi.json</c> at the
    /// root of the API).</summary>
    public const string Path = "/v1/openapi.json";

    /// <summary>The committed file, as embedded in the server.</summary>
    public const string ResourceName = "ExchangeGateway.Server.Rest.exchange-v1.openapi.json";

    /// <summary>The API's full version (the product's, without the commit), in <c>info.version</c> and
    /// in every REST answer's <c>API-Version</c> header.</summary>
    public static readonly string Version =
        (typeof(OpenApiDocument).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0").Split('+')[0];

    /// <summary>The committed document, as the gateway serves it.</summary>
    public static byte[] Committed()
    {
        using var stream = typeof(OpenApiDocument).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"The OpenAPI document is not embedded ({ResourceName}).");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    /// <summary>The contract's unary services (every one has REST routes); reflection lists them too.</summary>
    public static readonly ServiceDescriptor[] Services =
        [ArrivalService.Descriptor, MunicipalityService.Descriptor, IndService.Descriptor, ChainService.Descriptor, PullFeedService.Descriptor, WebhookService.Descriptor, GatewayService.Descriptor];

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Every route: verb, path template (proto field names in braces), body, the method.</summary>
    public static IEnumerable<(string Verb, string Path, string Body, MethodDescriptor Method)> Routes() =>
        from service in Services
        from method in service.Methods
        let rule = method.GetOptions()?.GetExtension(AnnotationsExtensions.Http)
        where rule is not null
        let route = rule.PatternCase switch
        {
            HttpRule.PatternOneofCase.Get => ("get", rule.Get),
            HttpRule.PatternOneofCase.Post => ("post", rule.Post),
            HttpRule.PatternOneofCase.Put => ("put", rule.Put),
            HttpRule.PatternOneofCase.Patch => ("patch", rule.Patch),
            HttpRule.PatternOneofCase.Delete => ("delete", rule.Delete),
            _ => throw new InvalidOperationException($"{method.FullName}: only get, post, put, patch and delete routes are documented."),
        }
        select (route.Item1, route.Item2, rule.Body, method);

    public static string Generate(string version, IReadOnlyDictionary<string, string> comments)
    {
        var schemas = new SortedDictionary<string, JsonNode>(StringComparer.Ordinal);
        var paths = new SortedDictionary<string, JsonObject>(StringComparer.Ordinal);
        foreach (var (verb, template, body, method) in Routes())
        {
            var path = template.StartsWith("/v1/", StringComparison.Ordinal) ? template[3..] : template;
            var bound = PathFields(template);
            var operation = new JsonObject
            {
                ["operationId"] = char.ToLowerInvariant(method.Name[0]) + method.Name[1..],
                ["summary"] = Split(method.Name),
                ["description"] = Comment(comments, method.FullName) ?? Split(method.Name) + ".",
                ["tags"] = new JsonArray(method.Service.Name),
            };
            var parameters = new JsonArray();
            foreach (var name in bound)
            {
                var field = method.InputType.FindFieldByName(name)
                    ?? throw new InvalidOperationException($"{method.FullName}: the route names {name}, which {method.InputType.Name} does not have.");
                parameters.Add(Parameter(name, "path", true, Schema(field, schemas, comments), Comment(comments, field.FullName)));
            }
            if (body.Length == 0)
            {
                foreach (var (name, field) in QueryFields(method.InputType, bound))
                {
                    parameters.Add(Parameter(name, "query", false, Schema(field, schemas, comments), Comment(comments, field.FullName)));
                }
            }
            else
            {
                operation["requestBody"] = new JsonObject
                {
                    ["required"] = true,
                    ["content"] = new JsonObject { ["application/json"] = new JsonObject { ["schema"] = Reference(method.InputType, schemas, comments) } },
                };
            }
            if (parameters.Count > 0)
            {
                operation["parameters"] = parameters;
            }
            operation["responses"] = new JsonObject
            {
                ["200"] = new JsonObject
                {
                    ["description"] = "OK. " + (Comment(comments, method.OutputType.FullName) ?? method.OutputType.Name + "."),
                    ["headers"] = new JsonObject { ["API-Version"] = new JsonObject { ["$ref"] = "#/components/headers/API-Version" } },
                    ["content"] = new JsonObject { ["application/json"] = new JsonObject { ["schema"] = Reference(method.OutputType, schemas, comments) } },
                },
                ["default"] = new JsonObject { ["$ref"] = "#/components/responses/Problem" },
            };
            if (!paths.TryGetValue(path, out var item))
            {
                paths[path] = item = [];
            }
            item[verb] = operation;
        }
        var openApiPaths = new JsonObject
        {
            [Path[3..]] = new JsonObject
            {
                ["get"] = new JsonObject
                {
                    ["operationId"] = "getOpenApiDocument",
                    ["summary"] = "This document",
                    ["description"] = "This OpenAPI document, as committed in the repository (openapi/exchange-v1.json).",
                    ["tags"] = new JsonArray("GatewayService"),
                    ["responses"] = new JsonObject
                    {
                        ["200"] = new JsonObject
                        {
                            ["description"] = "OK. The OpenAPI 3 document.",
                            ["headers"] = new JsonObject { ["API-Version"] = new JsonObject { ["$ref"] = "#/components/headers/API-Version" } },
                            ["content"] = new JsonObject { ["application/json"] = new JsonObject { ["schema"] = new JsonObject { ["type"] = "object" } } },
                        },
                        ["default"] = new JsonObject { ["$ref"] = "#/components/responses/Problem" },
                    },
                },
            },
        };
        foreach (var (path, item) in paths)
        {
            openApiPaths[path] = item;
        }
        var document = new JsonObject
        {
            ["openapi"] = "3.0.3",
            ["info"] = new JsonObject
            {
                ["title"] = "ExchangeGateway",
                ["version"] = version,
                ["description"] = "Arrival notices, BRP registration status and BSN assignment between COA, the IND and the municipalities. " +
                    "The REST form of the exchange.v1 gRPC contract (protos/exchange/v1), served by the gateway beside gRPC on the same port, " +
                    "with the same identity (mutual TLS: the organisation is the one named by the client certificate's OIN), rules, audit and limits. " +
                    "Every mutating request carries a client-generated requestId: repeating it returns the first answer. Errors are application/problem+json (RFC 9457).",
                ["contact"] = new JsonObject { ["name"] = "ExchangeGateway", ["url"] = "https://exchange-gateway.asielketen.nl", ["email"] = "beheer@exchange-gateway.asielketen.nl" },
                ["license"] = new JsonObject { ["name"] = "EUPL-1.2", ["url"] = "https://interoperable-europe.ec.europa.eu/collection/eupl/eupl-text-eupl-12" },
            },
            ["servers"] = new JsonArray(new JsonObject { ["url"] = "https://exchange-gateway.asielketen.nl/v1", ["description"] = "The gateway (mutual TLS)." }),
            ["security"] = new JsonArray(new JsonObject { ["mutualTLS"] = new JsonArray() }),
            ["tags"] = new JsonArray([.. Services.Select(s => new JsonObject { ["name"] = s.Name, ["description"] = Comment(comments, s.FullName) ?? s.Name })]),
            ["paths"] = openApiPaths,
            ["components"] = new JsonObject
            {
                ["securitySchemes"] = new JsonObject
                {
                    ["mutualTLS"] = new JsonObject { ["type"] = "http", ["scheme"] = "mutual-tls", ["description"] = "A PKIoverheid (or the configured CA's) client certificate with the organisation's OIN; never a forwarded header." },
                },
                ["headers"] = new JsonObject
                {
                    ["API-Version"] = new JsonObject { ["description"] = "The full version of the API (API Design Rules API-57).", ["schema"] = new JsonObject { ["type"] = "string", ["example"] = version } },
                },
                ["responses"] = new JsonObject
                {
                    ["Problem"] = new JsonObject
                    {
                        ["description"] = "The call failed: nothing was stored. The status and code say why; retry 503 and 429 after Retry-After with the same requestId.",
                        ["headers"] = new JsonObject { ["API-Version"] = new JsonObject { ["$ref"] = "#/components/headers/API-Version" } },
                        ["content"] = new JsonObject { [Problems.ContentType] = new JsonObject { ["schema"] = new JsonObject { ["$ref"] = "#/components/schemas/Problem" } } },
                    },
                },
                ["schemas"] = new JsonObject([.. schemas.Append(new("Problem", ProblemSchema())).OrderBy(s => s.Key, StringComparer.Ordinal)
                    .Select(s => KeyValuePair.Create(s.Key, (JsonNode?)s.Value))]),
            },
        };
        return document.ToJsonString(Indented) + "\n";
    }

    private static List<string> PathFields(string template) =>
        [.. System.Text.RegularExpressions.Regex.Matches(template, @"\{(\w+)\}").Select(m => m.Groups[1].Value)];

    /// <summary>A GET's query parameters: the request's fields not in the path, a message field's scalars
    /// spelled <c>field.sub</c> as transcoding reads them.</summary>
    private static IEnumerable<(string Name, FieldDescriptor Field)> QueryFields(MessageDescriptor message, List<string> bound)
    {
        foreach (var field in message.Fields.InFieldNumberOrder().Where(f => !bound.Contains(f.Name)))
        {
            if (field.FieldType == FieldType.Message && !field.IsRepeated)
            {
                foreach (var inner in field.MessageType.Fields.InFieldNumberOrder())
                {
                    yield return (field.JsonName + "." + inner.JsonName, inner);
                }
            }
            else
            {
                yield return (field.JsonName, field);
            }
        }
    }

    private static JsonObject Parameter(string name, string location, bool required, JsonNode schema, string? description)
    {
        var parameter = new JsonObject { ["name"] = name, ["in"] = location, ["required"] = required };
        if (description is not null)
        {
            parameter["description"] = description;
        }
        parameter["schema"] = schema;
        return parameter;
    }

    private static JsonObject Reference(MessageDescriptor message, SortedDictionary<string, JsonNode> schemas, IReadOnlyDictionary<string, string> comments)
    {
        var name = SchemaName(message);
        if (WellKnown(message) is { } wellKnown)
        {
            return wellKnown;
        }
        if (!schemas.ContainsKey(name))
        {
            schemas[name] = new JsonObject(); // placeholder: a message may refer to itself
            var properties = new JsonObject();
            foreach (var field in message.Fields.InFieldNumberOrder())
            {
                var schema = Schema(field, schemas, comments);
                if (Comment(comments, field.FullName) is { } description)
                {
                    schema = schema is JsonObject { Count: 1 } reference && reference.ContainsKey("$ref")
                        ? new JsonObject { ["allOf"] = new JsonArray(reference), ["description"] = description }
                        : WithDescription((JsonObject)schema, description);
                }
                properties[field.JsonName] = schema;
            }
            var body = new JsonObject { ["type"] = "object" };
            if (Comment(comments, message.FullName) is { } comment)
            {
                body["description"] = comment;
            }
            body["properties"] = properties;
            schemas[name] = body;
        }
        return new JsonObject { ["$ref"] = "#/components/schemas/" + name };
    }

    private static JsonObject WithDescription(JsonObject schema, string description)
    {
        schema["description"] = description;
        return schema;
    }

    private static JsonNode Schema(FieldDescriptor field, SortedDictionary<string, JsonNode> schemas, IReadOnlyDictionary<string, string> comments)
    {
        JsonNode item = field.FieldType switch
        {
            FieldType.String => new JsonObject { ["type"] = "string" },
            FieldType.Bool => new JsonObject { ["type"] = "boolean" },
            FieldType.Int32 or FieldType.SInt32 or FieldType.SFixed32 or FieldType.UInt32 or FieldType.Fixed32 => new JsonObject { ["type"] = "integer", ["format"] = "int32" },
            FieldType.Int64 or FieldType.SInt64 or FieldType.SFixed64 or FieldType.UInt64 or FieldType.Fixed64 => new JsonObject { ["type"] = "integer", ["format"] = "int64" },
            FieldType.Double => new JsonObject { ["type"] = "number", ["format"] = "double" },
            FieldType.Float => new JsonObject { ["type"] = "number", ["format"] = "float" },
            FieldType.Bytes => new JsonObject { ["type"] = "string", ["format"] = "byte" },
            FieldType.Enum => new JsonObject { ["type"] = "string", ["enum"] = new JsonArray([.. field.EnumType.Values.Select(v => (JsonNode)v.Name)]) },
            FieldType.Message => Reference(field.MessageType, schemas, comments),
            _ => throw new InvalidOperationException($"{field.FullName}: no JSON form for {field.FieldType}."),
        };
        return field.IsRepeated ? new JsonObject { ["type"] = "array", ["items"] = item } : item;
    }

    private static JsonObject? WellKnown(MessageDescriptor message) => message.FullName switch
    {
        "google.protobuf.Timestamp" => new JsonObject { ["type"] = "string", ["format"] = "date-time" },
        "google.protobuf.Duration" => new JsonObject { ["type"] = "string", ["example"] = "1.5s" },
        _ => null,
    };

    private static string SchemaName(MessageDescriptor message) =>
        message.ContainingType is { } outer ? SchemaName(outer) + message.Name : message.Name;

    private static JsonObject ProblemSchema() => new()
    {
        ["type"] = "object",
        ["description"] = "A problem (RFC 9457) with the gRPC status's details.",
        ["properties"] = new JsonObject
        {
            ["type"] = new JsonObject { ["type"] = "string", ["description"] = "about:blank: the status says it all." },
            ["title"] = new JsonObject { ["type"] = "string" },
            ["status"] = new JsonObject { ["type"] = "integer", ["format"] = "int32" },
            ["detail"] = new JsonObject { ["type"] = "string", ["description"] = "What went wrong, for a person; never personal data." },
            ["code"] = new JsonObject { ["type"] = "string", ["description"] = "The gRPC status code's name (INVALID_ARGUMENT, NOT_FOUND, FAILED_PRECONDITION, UNAVAILABLE, ...)." },
            ["reason"] = new JsonObject { ["type"] = "string", ["description"] = "A stable reason for programs (google.rpc.ErrorInfo), e.g. ROLE_NOT_ALLOWED." },
            ["invalidParams"] = new JsonObject
            {
                ["type"] = "array",
                ["description"] = "Each bad field (google.rpc.BadRequest), named by its proto path.",
                ["items"] = new JsonObject
                {
                    ["type"] = "object",
                    ["properties"] = new JsonObject { ["name"] = new JsonObject { ["type"] = "string" }, ["reason"] = new JsonObject { ["type"] = "string" } },
                },
            },
            ["violations"] = new JsonObject
            {
                ["type"] = "array",
                ["description"] = "Why the state does not allow the call (google.rpc.PreconditionFailure).",
                ["items"] = new JsonObject
                {
                    ["type"] = "object",
                    ["properties"] = new JsonObject
                    {
                        ["type"] = new JsonObject { ["type"] = "string" }, ["subject"] = new JsonObject { ["type"] = "string" }, ["description"] = new JsonObject { ["type"] = "string" },
                    },
                },
            },
            ["retryAfter"] = new JsonObject { ["type"] = "number", ["description"] = "Seconds to wait before retrying (also the Retry-After header)." },
        },
    };

    private static string? Comment(IReadOnlyDictionary<string, string> comments, string fullName) => comments.GetValueOrDefault(fullName);

    /// <summary>AnnounceArrival → "Announce arrival".</summary>
    private static string Split(string name)
    {
        var words = System.Text.RegularExpressions.Regex.Replace(name, "(?<=[a-z])(?=[A-Z])", " ").ToLowerInvariant();
        return char.ToUpperInvariant(words[0]) + words[1..];
    }
}
