using ExchangeGateway.Cli.Demo;
using ExchangeGateway.Client;
using ExchangeGateway.Client.Connection;
using ExchangeGateway.Contracts.V1;
using ExchangeGateway.EndToEnd.Fixtures;
using ExchangeGateway.Server.Identity;
using ExchangeGateway.Server.Rules;
using ExchangeGateway.Tests.Shared;
using Microsoft.Playwright;

namespace ExchangeGateway.EndToEnd.Dashboard;

/// <summary>One gateway and browser for the dashboard's test classes.</summary>
[CollectionDefinition(Name)]
public sealed class DashboardCollection : ICollectionFixture<DashboardFixture>
{
    public const string Name = "dashboard";
}

/// <summary>A real <c>exgw serve</c> with its dashboard on a port of its own, holding the demo's
/// households (announced by COA over gRPC, no municipality connected, so their notices stay
/// unacknowledged), and headless Chromium (Debian's package) driven by Playwright, presenting the
/// organisations' client certificates.</summary>
public sealed class DashboardFixture : IAsyncLifetime
{
    /// <summary>An unacknowledged notice older than this makes its municipality need attention.</summary>
    public static readonly TimeSpan StaleAfter = TimeSpan.FromSeconds(2);

    private IPlaywright? _playwright;
    private readonly List<IBrowserContext> _contexts = [];

    public GatewayProcess Gateway { get; private set; } = null!;

    public Uri Dashboard { get; private set; } = null!;

    public IBrowser Browser { get; private set; } = null!;

    public List<Arrival> Announced { get; } = [];

    /// <summary>Where the tests save screenshots of the pages (for the README), when set.</summary>
    public static string? ScreenshotDirectory => Environment.GetEnvironmentVariable("EXGW_DASHBOARD_SCREENSHOTS");

    public async Task InitializeAsync()
    {
        var chromium = new[] { "/usr/bin/chromium", "/usr/bin/chromium-browser" }.FirstOrDefault(File.Exists);
        Assert.True(chromium is not null, "The dashboard tests need Debian's chromium package (apt-get install chromium; .ci/run installs it).");
        var port = GatewayProcess.FreePort();
        Gateway = await TestGateway.StartAsync(arguments:
        [
            $"--Gateway:Dashboard:Urls=https://127.0.0.1:{port}",
            $"--Gateway:Dashboard:StaleAcknowledgementAfter={StaleAfter}",
            "--Gateway:Dashboard:RefreshInterval=00:00:00.300",
            "--Gateway:Dashboard:PresenceInterval=00:00:01",
            "--Gateway:Dashboard:LagSnapshotInterval=00:00:01",
        ]);
        Dashboard = new Uri($"https://127.0.0.1:{port}");
        using var coa = Gateway.ClientFor("coa");
        var today = AmsterdamCalendar.Today(TimeProvider.System);
        foreach (var household in DemoHouseholds.Create(today.AddDays(14), today.AddDays(3), TestArrivals.NewVNumber))
        {
            Announced.Add(await coa.AnnounceArrivalAsync(household));
        }
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = chromium, Headless = true });
    }

    /// <summary>A browser holding <paramref name="organisation"/>'s certificate, not signed in.</summary>
    public async Task<IPage> OpenAsync(string organisation, bool bypassContentSecurityPolicy = false)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            IgnoreHTTPSErrors = true,
            Locale = "nl-NL",
            TimezoneId = "Europe/Amsterdam",
            ViewportSize = new ViewportSize { Width = 1400, Height = 1000 },
            // Only to inject the accessibility engine, which the page's policy rightly refuses.
            BypassCSP = bypassContentSecurityPolicy,
            ClientCertificates =
            [
                new ClientCertificate
                {
                    Origin = Dashboard.GetLeftPart(UriPartial.Authority),
                    CertPath = DevCertificateAuthority.CertificatePath(Gateway.CertificatesDirectory, organisation),
                    KeyPath = DevCertificateAuthority.KeyPath(Gateway.CertificatesDirectory, organisation),
                },
            ],
        });
        context.SetDefaultTimeout(20_000);
        _contexts.Add(context);
        return await context.NewPageAsync();
    }

    /// <summary>A browser holding <paramref name="organisation"/>'s certificate, signed in as <paramref name="person"/>.</summary>
    public async Task<IPage> SignInAsync(string organisation, string person, bool bypassContentSecurityPolicy = false)
    {
        var page = await OpenAsync(organisation, bypassContentSecurityPolicy);
        await page.GotoAsync(Url("/aanmelden"));
        await page.FillAsync("#naam", person);
        await page.ClickAsync("button[type=submit]");
        await page.WaitForURLAsync(url => !url.Contains("/aanmelden", StringComparison.Ordinal));
        return page;
    }

    /// <summary>An organisation's client connection to the dashboard's port (not the gateway's).</summary>
    public GatewayConnectionOptions ConnectionFor(string organisation) => GatewayConnectionOptions.FromPem(Dashboard,
        DevCertificateAuthority.CertificatePath(Gateway.CertificatesDirectory, organisation),
        DevCertificateAuthority.KeyPath(Gateway.CertificatesDirectory, organisation),
        Path.Combine(Gateway.CertificatesDirectory, DevCertificateAuthority.CaFile));

    public string Url(string path) => new Uri(Dashboard, path).ToString();

    public static async Task ScreenshotAsync(IPage page, string name)
    {
        if (ScreenshotDirectory is { } directory)
        {
            Directory.CreateDirectory(directory);
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(directory, name + ".png") });
        }
    }

    public async Task DisposeAsync()
    {
        foreach (var context in _contexts)
        {
            await context.CloseAsync();
        }
        if (Browser is not null)
        {
            await Browser.CloseAsync();
        }
        _playwright?.Dispose();
        if (Gateway is not null)
        {
            await Gateway.DisposeAsync();
        }
    }
}
