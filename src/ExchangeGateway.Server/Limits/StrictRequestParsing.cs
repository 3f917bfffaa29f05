using System.Reflection;
using System.Text;
using Google.Protobuf;
using Grpc.AspNetCore.Server.Model;
using Grpc.Core;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace ExchangeGateway.Server.Limits;

/// <summary>How requests are parsed, for two things the fuzz tests found:
/// <list type="bullet">
/// <item>A request body that is not a valid protobuf message is INVALID_ARGUMENT. grpc-dotnet parses
/// the request before any interceptor runs and answers a parse failure (bad tag, truncated field,
/// invalid UTF-8, nesting past the recursion limit) with UNKNOWN "Exception was thrown by handler",
/// which tells a client nothing and looks like a server fault.</item>
/// <item>Fields the gateway does not know are dropped while parsing. Protobuf keeps them by default,
/// so bytes hidden in an unknown field of the arrival details were stored with the arrival and passed
/// on, unvalidated, in the notices to the municipality: personal data the gateway never checked.
/// Dropping them is what a reader of an older schema does anyway; only known, validated fields
/// remain.</item>
/// </list>
/// This replaces grpc-dotnet's default method discovery with one that binds the same generated
/// methods and handlers with another request marshaller. A valid request costs no more.</summary>
internal static class StrictRequestParsing
{
    public static IServiceCollection AddStrictRequestParsing(this IServiceCollection services)
    {
        // AddGrpc registered BinderServiceMethodProvider<> as the open-generic method provider; two
        // providers would bind every method twice. JSON transcoding's provider (the REST routes) stays.
        foreach (var binder in services.Where(d => d.ServiceType == typeof(IServiceMethodProvider<>)
            && d.ImplementationType?.Name.StartsWith("BinderServiceMethodProvider", StringComparison.Ordinal) == true).ToList())
        {
            services.Remove(binder);
        }
        services.TryAddEnumerable(ServiceDescriptor.Singleton(typeof(IServiceMethodProvider<>), typeof(StrictServiceMethodProvider<>)));
        return services;
    }

    internal static Method<TRequest, TResponse> Guard<TRequest, TResponse>(Method<TRequest, TResponse> method)
        where TRequest : class where TResponse : class
    {
        var parser = ParserOf<TRequest>().WithDiscardUnknownFields(true);
        var description = $"is not a well-formed {parser.ParseFrom(ByteString.Empty).Descriptor.FullName} (protobuf)";
        var marshaller = Marshallers.Create<TRequest>(method.RequestMarshaller.ContextualSerializer, context =>
        {
            try
            {
                return (TRequest)parser.ParseFrom(context.PayloadAsReadOnlySequence());
            }
            catch (Exception e) when (e is InvalidProtocolBufferException or DecoderFallbackException)
            {
                // The exception text names no input, but a fixed description is enough for the client.
                throw GatewayErrors.InvalidArgument("request", description);
            }
        });
        return new Method<TRequest, TResponse>(method.Type, method.ServiceName, method.Name, marshaller, method.ResponseMarshaller);
    }

    /// <summary>The generated message's static <c>Parser</c>.</summary>
    private static MessageParser ParserOf<TRequest>() =>
        typeof(TRequest).GetProperty("Parser", BindingFlags.Public | BindingFlags.Static)?.GetValue(null) as MessageParser
            ?? throw new InvalidOperationException($"{typeof(TRequest)} is not a generated protobuf message.");
}

/// <summary>Binds a generated service's methods as grpc-dotnet's own binder does (the generated static
/// <c>BindService(ServiceBinderBase, TServiceBase)</c>, handlers found by name on the service type),
/// with guarded request marshallers.</summary>
internal sealed class StrictServiceMethodProvider<TService> : IServiceMethodProvider<TService> where TService : class
{
    public void OnServiceMethodDiscovery(ServiceMethodProviderContext<TService> context)
    {
        var attribute = typeof(TService).GetCustomAttributes<BindServiceMethodAttribute>(inherit: true).FirstOrDefault();
        var bind = attribute?.BindType
            .GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static)
            .FirstOrDefault(m => m.Name == attribute.BindMethodName
                && m.GetParameters() is [var binder, _] && binder.ParameterType == typeof(ServiceBinderBase));
        if (bind is null)
        {
            return;
        }
        bind.Invoke(null, [new Binder(context), null]);
    }

    private sealed class Binder(ServiceMethodProviderContext<TService> context) : ServiceBinderBase
    {
        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, UnaryServerMethod<TRequest, TResponse>? handler)
        {
            var (invoker, metadata) = Bind<Grpc.AspNetCore.Server.Model.UnaryServerMethod<TService, TRequest, TResponse>>(method.Name, typeof(TRequest), typeof(ServerCallContext));
            context.AddUnaryMethod(StrictRequestParsing.Guard(method), metadata, invoker);
        }

        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, ClientStreamingServerMethod<TRequest, TResponse>? handler)
        {
            var (invoker, metadata) = Bind<Grpc.AspNetCore.Server.Model.ClientStreamingServerMethod<TService, TRequest, TResponse>>(method.Name, typeof(IAsyncStreamReader<TRequest>), typeof(ServerCallContext));
            context.AddClientStreamingMethod(StrictRequestParsing.Guard(method), metadata, invoker);
        }

        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, ServerStreamingServerMethod<TRequest, TResponse>? handler)
        {
            var (invoker, metadata) = Bind<Grpc.AspNetCore.Server.Model.ServerStreamingServerMethod<TService, TRequest, TResponse>>(method.Name, typeof(TRequest), typeof(IServerStreamWriter<TResponse>), typeof(ServerCallContext));
            context.AddServerStreamingMethod(StrictRequestParsing.Guard(method), metadata, invoker);
        }

        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, DuplexStreamingServerMethod<TRequest, TResponse>? handler)
        {
            var (invoker, metadata) = Bind<Grpc.AspNetCore.Server.Model.DuplexStreamingServerMethod<TService, TRequest, TResponse>>(method.Name, typeof(IAsyncStreamReader<TRequest>), typeof(IServerStreamWriter<TResponse>), typeof(ServerCallContext));
            context.AddDuplexStreamingMethod(StrictRequestParsing.Guard(method), metadata, invoker);
        }

        /// <summary>An open-instance delegate to the service's method (its override, or the generated
        /// base method that answers UNIMPLEMENTED), and the endpoint metadata grpc-dotnet's binder
        /// gives it: the service's and the method's attributes, and POST only.</summary>
        private static (TDelegate Invoker, List<object> Metadata) Bind<TDelegate>(string name, params Type[] parameters) where TDelegate : Delegate
        {
            var method = typeof(TService).GetMethod(name, BindingFlags.Public | BindingFlags.Instance, parameters)
                ?? throw new InvalidOperationException($"Could not find '{name}' on {typeof(TService)}.");
            List<object> metadata = [.. typeof(TService).GetCustomAttributes(inherit: true), .. method.GetCustomAttributes(inherit: true)];
            metadata.Add(new HttpMethodMetadata(["POST"], acceptCorsPreflight: true));
            return ((TDelegate)Delegate.CreateDelegate(typeof(TDelegate), method), metadata);
        }
    }
}
