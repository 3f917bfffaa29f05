using System.Globalization;
using System.Net;
using System.Text.Json;
using ExchangeGateway.Contracts.V1;
using ExchangeGateway.EndToEnd.Fixtures;
using ExchangeGateway.Server.Rules;
using ExchangeGateway.Tests.Shared;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace ExchangeGateway.EndToEnd.Dashboard;

/// <summary>The dashboard in headless Chromium against a real gateway process with the demo's data.</summary>
[Collection(DashboardCollection.Name)]
public sealed class DashboardBrowserTests(DashboardFixture dashboard)
{
    private static readonly LocatorAssertionsToHaveCountOptions Patient = new() { Timeout = 20_000 };

    [Fact]
    public async Task NationalView_DemoData_MapDrawsEveryMunicipalityAndHighlightsTheStaleFeed()
    {
        var page = await dashboard.SignInAsync("ketenregie", "Anna de Vries");

        await Expect(page.Locator(".kaart path[data-code]")).ToHaveCountAsync(342, Patient);
        // Nobody holds Utrecht's stream: its notices pass the threshold (seconds here) unacknowledged.
        // That is no change in the database, so the page shows it when it is next drawn.
        await Until.TrueAsync(async () =>
        {
            await page.ReloadAsync();
            await Expect(page.Locator(".kaart path[data-code]")).ToHaveCountAsync(342, Patient);
            return await page.Locator("path[data-code='0344']").GetAttributeAsync("data-aandacht") == "att-bevestiging";
        }, "Utrecht highlighted for notices unacknowledged past the threshold", TimeSpan.FromSeconds(30));
        Assert.Equal("att-nooit", await page.Locator("path[data-code='0106']").GetAttributeAsync("data-aandacht"));
        await Expect(page.Locator("#gemeenten tbody tr:has-text('Utrecht') >> nth=0")).ToContainTextAsync("Berichten te lang onbevestigd");
        await Expect(page.Locator(".bron")).ToContainTextAsync("Kadaster / Centraal Bureau voor de Statistiek, 2025");
        await Expect(page.Locator("#gemeenten tbody tr")).ToHaveCountAsync(342);
        await DashboardFixture.ScreenshotAsync(page, "dashboard-landelijk");
    }

    [Fact]
    public async Task MunicipalityTable_FilterAndSort_ShowsMatchingRowsInOrder()
    {
        var page = await dashboard.SignInAsync("ketenregie", "Anna de Vries");
        var rows = page.Locator("#gemeenten tbody tr");
        await Expect(rows).ToHaveCountAsync(342, Patient);

        await page.FillAsync("#zoek", "0344");
        await Expect(rows).ToHaveCountAsync(1);
        await Expect(rows.First).ToContainTextAsync("Utrecht");
        await Expect(page.Locator("#aantal-getoond")).ToHaveTextAsync("1 van 342 gemeenten");
        await page.FillAsync("#zoek", "");
        await Expect(rows).ToHaveCountAsync(342);

        await page.ClickAsync("#sorteer-onbevestigd");
        await Expect(page.Locator("th:has(#sorteer-onbevestigd)")).ToHaveAttributeAsync("aria-sort", "descending");
        var descending = await UnacknowledgedColumnAsync(page);
        Assert.True(descending[0] > 0, "the municipality with the most unacknowledged notices comes first");
        Assert.Equal(descending.OrderByDescending(n => n), descending);

        await page.ClickAsync("#sorteer-onbevestigd");
        await Expect(page.Locator("th:has(#sorteer-onbevestigd)")).ToHaveAttributeAsync("aria-sort", "ascending");
        var ascending = await UnacknowledgedColumnAsync(page);
        Assert.Equal(ascending.Order(), ascending);

        await page.ClickAsync("#sorteer-naam");
        await Expect(page.Locator("th:has(#sorteer-naam)")).ToHaveAttributeAsync("aria-sort", "ascending");
        Assert.True(await page.EvaluateAsync<bool>("""
            () => [...document.querySelectorAll('#gemeenten tbody tr td:nth-child(2)')].map(cell => cell.innerText)
                .every((name, i, names) => i === 0 || names[i - 1].localeCompare(name, 'nl') <= 0)
            """), "sorted by name in Dutch alphabetical order");
    }

    [Fact]
    public async Task Escalation_ResolvedFromThePage_CoaSeesItResolvedWithThePersonsName()
    {
        using var coa = dashboard.Gateway.ClientFor("coa");
        var late = TestArrivals.Family("0599");
        late.ExpectedArrivalDate = TestArrivals.ToDate(AmsterdamCalendar.Today(TimeProvider.System).AddDays(3));
        var arrival = await coa.AnnounceArrivalAsync(late);
        var escalation = Assert.Single(arrival.Escalations, e => e.Kind == EscalationKind.LateAnnouncement);

        var coaPage = await dashboard.SignInAsync("coa", "Pieter Jansen");
        await coaPage.GotoAsync(dashboard.Url("/escalaties"));
        var coaRow = coaPage.Locator($"#escalaties tbody tr:has-text('{arrival.ArrivalId}')");
        await Expect(coaRow).ToHaveCountAsync(1, Patient);
        await Expect(coaPage.Locator("form.oplossen")).ToHaveCountAsync(0);

        var chain = await dashboard.SignInAsync("ketenregie", "Anna de Vries");
        await chain.GotoAsync(dashboard.Url("/escalaties"));
        var form = chain.Locator($"form[data-escalatie='{escalation.EscalationId}']");
        await form.Locator("textarea").FillAsync("Gemeente gebeld; opvang is geregeld.");
        await form.Locator("button").ClickAsync();
        await Expect(chain.Locator(".utrecht-alert")).ToContainTextAsync("De escalatie is opgelost.");

        // COA's open page drops it by itself (live), and the arrival says who resolved it.
        await Expect(coaRow).ToHaveCountAsync(0, Patient);
        var resolved = (await coa.GetArrivalAsync(arrival.ArrivalId)).Escalations.Single(e => e.EscalationId == escalation.EscalationId);
        Assert.NotNull(resolved.ResolvedAt);
        Assert.Equal("Gemeente gebeld; opvang is geregeld. (opgelost door Anna de Vries, via het dashboard)", resolved.ResolutionNote);
        Assert.Equal("ketenregie", resolved.ResolvedBy);
    }

    [Fact]
    public async Task MunicipalityLogin_OtherCodes_AnswerAsIfTheyDidNotExist()
    {
        var page = await dashboard.SignInAsync("gemeente-utrecht", "Fatima Bakker");

        await Expect(page).ToHaveURLAsync(dashboard.Url("/gemeenten/0344"));
        await Expect(page.Locator("h1")).ToHaveTextAsync("Utrecht (0344)");
        await Expect(page.Locator("#menu")).Not.ToContainTextAsync("Landelijk overzicht");
        var arrivals = page.Locator("#aankomsten tbody tr");
        await Expect(arrivals).ToHaveCountAsync(dashboard.Announced.Count(a => a.Details.MunicipalityCode == "0344"), Patient);
        // The list names no one; opening an arrival (an audited GetArrival) shows its travellers.
        await Expect(page.Locator("#aankomsten")).Not.ToContainTextAsync("Al-Hassan");
        await DashboardFixture.ScreenshotAsync(page, "dashboard-gemeente");
        var utrecht = dashboard.Announced.First(a => a.Details.MunicipalityCode == "0344");
        await page.ClickAsync($"button[data-aankomst='{utrecht.ArrivalId}']");
        await Expect(page.Locator("#aankomst")).ToContainTextAsync(utrecht.Details.Travellers[0].Name.Surname);

        await page.GotoAsync(dashboard.Url("/gemeenten/0363"));
        await Expect(page.Locator("h1")).ToHaveTextAsync("Gemeente niet gevonden");
        var other = (await page.Locator("main").InnerTextAsync()).Replace("0363", "####", StringComparison.Ordinal);
        await page.GotoAsync(dashboard.Url("/gemeenten/9998"));
        await Expect(page.Locator("h1")).ToHaveTextAsync("Gemeente niet gevonden");
        Assert.Equal(other, (await page.Locator("main").InnerTextAsync()).Replace("9998", "####", StringComparison.Ordinal));

        var notHers = await page.APIRequest.GetAsync(dashboard.Url("/v1/municipalities/0363/overview"));
        var absent = await page.APIRequest.GetAsync(dashboard.Url("/v1/municipalities/9998/overview"));
        Assert.Equal((int)HttpStatusCode.NotFound, notHers.Status);
        Assert.Equal(absent.Status, notHers.Status);
        Assert.Equal((await absent.TextAsync()).Replace("9998", "####", StringComparison.Ordinal), (await notHers.TextAsync()).Replace("0363", "####", StringComparison.Ordinal));
        var national = await page.APIRequest.GetAsync(dashboard.Url("/v1/overview?everyMunicipality=true"));
        Assert.Equal((int)HttpStatusCode.Forbidden, national.Status);
    }

    [Fact]
    public async Task NationalView_NewAnnouncement_UpdatesWithoutReloading()
    {
        var page = await dashboard.SignInAsync("ketenregie", "Anna de Vries");
        var open = page.Locator(".totaal:has-text('Open aankomsten') .totaal__getal");
        await Expect(page.Locator(".kaart path[data-code]")).ToHaveCountAsync(342, Patient);
        var before = DutchNumber(await open.InnerTextAsync());
        await page.EvaluateAsync("() => { window.sameDocument = true; }");

        using var coa = dashboard.Gateway.ClientFor("coa");
        await coa.AnnounceArrivalAsync(TestArrivals.Family("0106"));

        await Expect(open).ToHaveTextAsync((before + 1).ToString(CultureInfo.InvariantCulture), new() { Timeout = 20_000 });
        Assert.True(await page.EvaluateAsync<bool>("() => window.sameDocument === true"), "the page was not reloaded");
    }

    [Fact]
    public async Task Pages_AccessibilityCheck_ReportsNoViolations()
    {
        var axe = Path.Combine(TestRepository.Root(), "tests", "interop", "dashboard");
        await NpmPackages.EnsureAsync(axe, "axe-core");
        var engine = Path.Combine(axe, "node_modules", "axe-core", "axe.min.js");

        var signIn = await dashboard.OpenAsync("ketenregie", bypassContentSecurityPolicy: true);
        await signIn.GotoAsync(dashboard.Url("/aanmelden"));
        var problems = await ViolationsAsync(signIn, engine, "/aanmelden");

        var chain = await dashboard.SignInAsync("ketenregie", "Anna de Vries", bypassContentSecurityPolicy: true);
        await Expect(chain.Locator(".kaart path[data-code]")).ToHaveCountAsync(342, Patient);
        problems.AddRange(await ViolationsAsync(chain, engine, "/"));
        await chain.GotoAsync(dashboard.Url("/escalaties"));
        await Expect(chain.Locator("h1")).ToHaveTextAsync("Open escalaties");
        problems.AddRange(await ViolationsAsync(chain, engine, "/escalaties"));

        var municipality = await dashboard.SignInAsync("gemeente-utrecht", "Fatima Bakker", bypassContentSecurityPolicy: true);
        await Expect(municipality.Locator("#aankomsten")).ToHaveCountAsync(1, Patient);
        problems.AddRange(await ViolationsAsync(municipality, engine, "/gemeenten/0344"));

        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    private static async Task<List<string>> ViolationsAsync(IPage page, string engine, string name)
    {
        await page.AddScriptTagAsync(new PageAddScriptTagOptions { Path = engine });
        var result = await page.EvaluateAsync<JsonElement>(
            "async () => (await axe.run(document, { runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] }))"
            + ".violations.map(v => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', ')}`)");
        return [.. result.EnumerateArray().Select(v => $"{name}: {v.GetString()}")];
    }

    private static async Task<List<int>> UnacknowledgedColumnAsync(IPage page) =>
        [.. (await page.Locator("#gemeenten tbody tr td:nth-child(5)").AllInnerTextsAsync())
            .Select(DutchNumber)];

    /// <summary>A number as the page writes it ("1.234"); the tests run without culture data.</summary>
    private static int DutchNumber(string text) => int.Parse(text.Replace(".", "", StringComparison.Ordinal), CultureInfo.InvariantCulture);
}
