using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;

namespace ExchangeGateway.Server.Webhooks;

/// <summary>Decides, for every connection a webhook makes, whether the address actually connected to
/// may be reached: a callback URL must not let anyone steer the gateway into its own network. The
/// name is resolved here, at connect time, and each address checked, so a name that resolved to a
/// public address when the registry was loaded and to 127.0.0.1 now (DNS rebinding) is still refused.
/// Refused unless in <c>Gateway:Webhooks:AllowedNetworks</c>: loopback, unspecified, private (RFC 1918,
/// fc00::/7), link-local, CGNAT (100.64.0.0/10), multicast and reserved ranges, the IPv4-mapped and
/// NAT64 IPv6 forms of these, and the gateway's own addresses.</summary>
internal sealed class WebhookAddressGuard(IReadOnlyList<IPNetwork> allowed, Func<string, CancellationToken, Task<IPAddress[]>>? resolve = null)
{
    private readonly Func<string, CancellationToken, Task<IPAddress[]>> _resolve = resolve ?? Dns.GetHostAddressesAsync;

    private static readonly IPNetwork[] NotPublic =
    [
        IPNetwork.Parse("0.0.0.0/8"),
        IPNetwork.Parse("10.0.0.0/8"),
        IPNetwork.Parse("100.64.0.0/10"),
        IPNetwork.Parse("127.0.0.0/8"),
        IPNetwork.Parse("169.254.0.0/16"),
        IPNetwork.Parse("172.16.0.0/12"),
        IPNetwork.Parse("192.0.0.0/24"),
        IPNetwork.Parse("192.168.0.0/16"),
        IPNetwork.Parse("198.18.0.0/15"),
        IPNetwork.Parse("224.0.0.0/4"),
        IPNetwork.Parse("240.0.0.0/4"),
        IPNetwork.Parse("::/128"),
        IPNetwork.Parse("::1/128"),
        IPNetwork.Parse("fc00::/7"),
        IPNetwork.Parse("fe80::/10"),
        IPNetwork.Parse("ff00::/8"),
    ];

    private static readonly IPNetwork Nat64 = IPNetwork.Parse("64:ff9b::/96");

    /// <summary>Why <paramref name="address"/> may not be connected to, or null when it may.</summary>
    public string? Refusal(IPAddress address)
    {
        if (allowed.Any(n => n.Contains(address)))
        {
            return null;
        }
        var judged = address;
        if (address.IsIPv4MappedToIPv6)
        {
            judged = address.MapToIPv4();
        }
        else if (address.AddressFamily == AddressFamily.InterNetworkV6 && Nat64.Contains(address))
        {
            judged = new IPAddress(address.GetAddressBytes()[12..]);
        }
        if (!ReferenceEquals(judged, address) && allowed.Any(n => n.Contains(judged)))
        {
            return null;
        }
        foreach (var range in NotPublic)
        {
            if (range.Contains(judged))
            {
                return $"{address} is not a public address (in {range})";
            }
        }
        if (OwnAddresses().Contains(judged))
        {
            return $"{address} is an address of this gateway";
        }
        return null;
    }

    /// <summary>The <see cref="System.Net.Http.SocketsHttpHandler.ConnectCallback"/>: resolves the
    /// host, connects to the first address that may be reached, and refuses when none may.</summary>
    public async ValueTask<Stream> ConnectAsync(System.Net.Http.SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var endpoint = context.DnsEndPoint;
        var addresses = IPAddress.TryParse(endpoint.Host, out var literal)
            ? [literal]
            : await _resolve(endpoint.Host, cancellationToken);
        var refusals = new List<string>();
        Exception? failure = null;
        foreach (var address in addresses)
        {
            if (Refusal(address) is { } refusal)
            {
                refusals.Add(refusal);
                continue;
            }
            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(new IPEndPoint(address, endpoint.Port), cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch (SocketException exception)
            {
                socket.Dispose();
                failure = exception;
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }
        throw failure ?? new WebhookAddressRefusedException(endpoint.Host, refusals);
    }

    private static HashSet<IPAddress> OwnAddresses()
    {
        var own = new HashSet<IPAddress>();
        try
        {
            foreach (var network in NetworkInterface.GetAllNetworkInterfaces())
            {
                foreach (var unicast in network.GetIPProperties().UnicastAddresses)
                {
                    own.Add(unicast.Address.IsIPv4MappedToIPv6 ? unicast.Address.MapToIPv4() : unicast.Address);
                }
            }
        }
        catch (NetworkInformationException)
        {
            // Without the list, the ranges above still hold.
        }
        return own;
    }
}

/// <summary>No address of a webhook's host may be connected to (see <see cref="WebhookAddressGuard"/>).</summary>
internal sealed class WebhookAddressRefusedException(string host, IReadOnlyList<string> refusals)
    : IOException(refusals.Count == 0 ? $"{host} has no address" : $"refused to connect to {host}: {string.Join("; ", refusals)}");
