using System.Reflection;
using ExchangeGateway.Contracts.V1;
using Google.Protobuf.Reflection;
using Grpc.Core;

namespace ExchangeGateway.EndToEnd.Fuzz;

/// <summary>One RPC of the contracts, as the fuzzer calls it: raw bytes in, raw bytes out.</summary>
public sealed record ContractMethod(string Service, string Name, MessageDescriptor Input, bool Streaming)
{
    private static readonly Marshaller<byte[]> Bytes = Marshallers.Create(b => b, b => b);

    /// <summary>The gRPC path, "/exchange.v1.ArrivalService/AnnounceArrival".</summary>
    public string Path => $"/{Service}/{Name}";

    /// <summary>"ArrivalService.AnnounceArrival": the corpus folder name.</summary>
    public string Key => $"{Service[(Service.LastIndexOf('.') + 1)..]}.{Name}";

    public Method<byte[], byte[]> Raw { get; } = new(Streaming ? MethodType.DuplexStreaming : MethodType.Unary, Service, Name, Bytes, Bytes);

    public override string ToString() => Key;
}

/// <summary>Every RPC of every exchange.v1 service, found by reflection over the file descriptors
/// compiled into ExchangeGateway.Contracts, so an RPC added to a proto is fuzzed without a change here.</summary>
public static class ContractMethods
{
    public const string Package = "exchange.v1";

    public static IReadOnlyList<ContractMethod> All { get; } = Discover();

    private static List<ContractMethod> Discover()
    {
        var files = typeof(PingRequest).Assembly.GetTypes()
            .Select(t => t.GetProperty("Descriptor", BindingFlags.Public | BindingFlags.Static))
            .Where(p => p?.PropertyType == typeof(FileDescriptor))
            .Select(p => (FileDescriptor)p!.GetValue(null)!)
            .Where(f => f.Package == Package)
            .DistinctBy(f => f.Name);
        return [.. files
            .SelectMany(f => f.Services)
            .SelectMany(s => s.Methods)
            .Select(m => new ContractMethod(m.Service.FullName, m.Name, m.InputType, m.IsClientStreaming || m.IsServerStreaming))
            .OrderBy(m => m.Path, StringComparer.Ordinal)];
    }
}
