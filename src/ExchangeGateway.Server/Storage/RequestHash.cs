using System.Collections.Concurrent;
using System.Security.Cryptography;
using Google.Protobuf;
using Google.Protobuf.Reflection;

namespace ExchangeGateway.Server.Storage;

/// <summary>The hash a repeated request is recognised by: SHA-256 of the request as the client meant
/// it, its bytes without the <c>request_id</c> field. Computed from one serialization by leaving that
/// field's bytes out (protobuf writes fields in number order, so this equals serializing a copy with
/// the field cleared, which is how stored hashes were made before).</summary>
internal static class RequestHash
{
    private static readonly ConcurrentDictionary<MessageDescriptor, int> RequestIdFields = new();

    public static byte[] Of(IMessage request)
    {
        var bytes = request.ToByteArray();
        var requestIdField = RequestIdFields.GetOrAdd(request.Descriptor, d => d.FindFieldByName("request_id")?.FieldNumber ?? 0);
        if (requestIdField == 0)
        {
            return SHA256.HashData(bytes);
        }
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var input = new CodedInputStream(bytes);
        var kept = 0;
        while (!input.IsAtEnd)
        {
            var start = (int)input.Position;
            var tag = input.ReadTag();
            input.SkipLastField();
            if (WireFormat.GetTagFieldNumber(tag) == requestIdField)
            {
                hash.AppendData(bytes, kept, start - kept);
                kept = (int)input.Position;
            }
        }
        hash.AppendData(bytes, kept, bytes.Length - kept);
        return hash.GetHashAndReset();
    }
}
