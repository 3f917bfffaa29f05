using System.Net;
using ExchangeGateway.Server.Webhooks;
using ExchangeGateway.Tests.Shared;

namespace ExchangeGateway.Tests.Webhooks;

public sealed class WebhookAddressGuardTests
{
    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("127.8.9.10")]
    [InlineData("0.0.0.0")]
    [InlineData("10.1.2.3")]
    [InlineData("172.16.0.1")]
    [InlineData("172.31.255.254")]
    [InlineData("192.168.1.1")]
    [InlineData("169.254.169.254")] // cloud metadata
    [InlineData("100.64.0.1")]      // CGNAT
    [InlineData("100.127.255.254")]
    [InlineData("224.0.0.1")]
    [InlineData("255.255.255.255")]
    [InlineData("::1")]
    [InlineData("::")]
    [InlineData("fe80::1")]
    [InlineData("fd00::1")]
    [InlineData("::ffff:127.0.0.1")] // IPv4-mapped loopback
    [InlineData("::ffff:10.0.0.1")]
    [InlineData("::ffff:169.254.169.254")]
    [InlineData("64:ff9b::a00:1")]   // NAT64 of 10.0.0.1
    public void Refusal_AddressNotPublic_Refused(string address)
    {
        var guard = new WebhookAddressGuard([]);

        Assert.NotNull(guard.Refusal(IPAddress.Parse(address)));
    }

    [Theory]
    [InlineData("145.21.190.10")]
    [InlineData("8.8.8.8")]
    [InlineData("100.128.0.1")] // just past CGNAT
    [InlineData("172.32.0.1")]  // just past 172.16/12
    [InlineData("2a00:1450:4001::1")]
    [InlineData("::ffff:145.21.190.10")]
    public void Refusal_PublicAddress_Allowed(string address)
    {
        var guard = new WebhookAddressGuard([]);

        Assert.Null(guard.Refusal(IPAddress.Parse(address)));
    }

    [Theory]
    [InlineData("10.20.1.5")]
    [InlineData("::ffff:10.20.1.5")]
    public void Refusal_InAllowedNetwork_Allowed(string address)
    {
        var guard = new WebhookAddressGuard([IPNetwork.Parse("10.20.0.0/16")]);

        Assert.Null(guard.Refusal(IPAddress.Parse(address)));
        Assert.NotNull(guard.Refusal(IPAddress.Parse("10.21.0.1")));
    }

    /// <summary>DNS rebinding: the name is resolved again for every connection and each answer checked,
    /// so a name that pointed at an allowed address for one connection and at a private one for the next
    /// is refused then, before any byte is sent. (The resolver is the test's: DNS itself cannot be
    /// re-pointed here.)</summary>
    [Fact]
    public async Task ConnectAsync_NameRepointedToAPrivateAddress_RefusedOnTheNextConnection()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var answers = new Queue<IPAddress>([IPAddress.Loopback, IPAddress.Parse("10.0.0.5")]);
        var resolved = 0;
        var guard = new WebhookAddressGuard([IPNetwork.Parse("127.0.0.1/32")], (_, _) =>
        {
            resolved++;
            return Task.FromResult(new[] { answers.Dequeue() });
        });
        using var receiverCertificate = System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPem(
            File.ReadAllText(TestPki.CertificatePath(Server.Identity.DevCertificateAuthority.ServerName)));
        using var client = new HttpClient(new SocketsHttpHandler
        {
            ConnectCallback = guard.ConnectAsync,
            PooledConnectionLifetime = TimeSpan.Zero, // every request a new connection
            SslOptions = new System.Net.Security.SslClientAuthenticationOptions
            {
                // Pinned to the receiver's certificate (issued for localhost): the guard is under test here, not the name.
                RemoteCertificateValidationCallback = (_, presented, _, _) => presented?.GetCertHashString() == receiverCertificate.GetCertHashString(),
                ClientCertificates = [TestPki.Client(Server.Identity.DevCertificateAuthority.GatewayClientName)],
            },
        });
        var url = $"https://brp.example.nl:{receiver.Port}/exgw/notices";

        using var first = await client.PostAsync(url, new ByteArrayContent([]));
        var second = await Assert.ThrowsAsync<HttpRequestException>(() => client.PostAsync(url, new ByteArrayContent([])));

        Assert.Equal(HttpStatusCode.NoContent, first.StatusCode);
        Assert.IsType<WebhookAddressRefusedException>(second.InnerException);
        Assert.Contains("10.0.0.5 is not a public address", second.InnerException!.Message, StringComparison.Ordinal);
        Assert.Equal(2, resolved);
        Assert.Single(receiver.Received);
    }
}
