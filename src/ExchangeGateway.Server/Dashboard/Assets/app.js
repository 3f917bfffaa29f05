// Ketendashboard nareizigers. Reads everything from the gateway's REST surface on this origin (the
// same access policy and audit as any caller); builds the page with DOM calls only (no HTML strings,
// so no data can become markup); refreshes when the server's event stream says something changed.
"use strict";

const ATTENTION = {
  ATTENTION_OPEN_ESCALATIONS: { klasse: "att-escalatie", tekst: "Open escalaties", rang: 1 },
  ATTENTION_STALE_ACKNOWLEDGEMENT: { klasse: "att-bevestiging", tekst: "Berichten te lang onbevestigd", rang: 2 },
  ATTENTION_REGISTRATION_OVERDUE: { klasse: "att-inschrijving", tekst: "Inschrijving te laat", rang: 3 },
  ATTENTION_UNANNOUNCED_REPORTED: { klasse: "att-onaangekondigd", tekst: "Onaangekondigde aankomst gemeld", rang: 4 },
  ATTENTION_NEVER_CONNECTED: { klasse: "att-nooit", tekst: "Nooit verbonden", rang: 5 },
};
const NO_ATTENTION = { klasse: "att-geen", tekst: "Geen aandacht nodig", rang: 9 };

const STATES = {
  ARRIVAL_STATE_ANNOUNCED: "Aangekondigd",
  ARRIVAL_STATE_ACKNOWLEDGED: "Ontvangen door gemeente",
  ARRIVAL_STATE_DEPARTED: "Vertrokken",
  ARRIVAL_STATE_ARRIVED: "Aangekomen",
  ARRIVAL_STATE_COMPLETED: "Afgerond",
  ARRIVAL_STATE_CANCELLED: "Geannuleerd",
  ARRIVAL_STATE_AWAITING_CONSENT: "Wacht op instemming",
  ARRIVAL_STATE_CONSENT_REFUSED: "Instemming geweigerd",
};
const CLOSED_STATES = new Set(["ARRIVAL_STATE_COMPLETED", "ARRIVAL_STATE_CANCELLED", "ARRIVAL_STATE_CONSENT_REFUSED"]);

const KINDS = {
  ESCALATION_KIND_ACKNOWLEDGEMENT_OVERDUE: "Ontvangst niet bevestigd",
  ESCALATION_KIND_LATE_ANNOUNCEMENT: "Te late aankondiging",
  ESCALATION_KIND_CONSENT_OVERDUE: "Instemming te laat",
  ESCALATION_KIND_REGISTRATION_OVERDUE: "Inschrijving BRP te laat",
  ESCALATION_KIND_CHECK_IN_OVERDUE: "Melding bij IND te laat",
  ESCALATION_KIND_IDENTIFIER_CONFLICT: "Conflict in identificatie",
  ESCALATION_KIND_WEBHOOK_REFUSED: "Webhook geweigerd",
};

const TRAVELLER_STATES = {
  TRAVELLER_STATE_EXPECTED: "Verwacht",
  TRAVELLER_STATE_REGISTRATION_DUE: "Inschrijving nodig",
  TRAVELLER_STATE_REGISTRATION_PENDING: "Inschrijving loopt",
  TRAVELLER_STATE_REGISTRATION_REFUSED: "Inschrijving geweigerd",
  TRAVELLER_STATE_REGISTERED: "Ingeschreven",
  TRAVELLER_STATE_BSN_ASSIGNED: "BSN toegekend",
  TRAVELLER_STATE_COMPLETED: "Afgerond",
  TRAVELLER_STATE_CANCELLED: "Geannuleerd",
};

const state = {
  session: null,
  map: null,
  sort: { column: "aandacht", ascending: true },
  filter: { text: "", onlyAttention: false },
  openArrival: null,
  message: null,
  refreshing: false,
  again: false,
  // Answers of the last refresh: sorting, filtering and opening re-draw from them instead of asking
  // the gateway again (every question is an audited call).
  cache: new Map(),
  fresh: true,
  againFresh: false,
};

// ---- DOM helpers -------------------------------------------------------------------------------

function h(tag, attributes, ...children) {
  const element = tag.startsWith("svg:")
    ? document.createElementNS("http://www.w3.org/2000/svg", tag.slice(4))
    : document.createElement(tag);
  for (const [name, value] of Object.entries(attributes ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else element.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

const number = (value) => Number(value ?? 0);
const sum = (items) => (items ?? []).reduce((total, item) => total + number(item.count), 0);
const formatNumber = (value) => new Intl.NumberFormat("nl-NL").format(value);
const formatTime = (value) => value ? new Date(value).toLocaleString("nl-NL", { dateStyle: "medium", timeStyle: "short" }) : "—";
const formatDate = (date) => date && date.year ? new Date(Date.UTC(date.year, date.month - 1, date.day)).toLocaleDateString("nl-NL", { dateStyle: "medium", timeZone: "UTC" }) : "—";
const seconds = (duration) => duration ? Number(String(duration).replace(/s$/, "")) : 0;

function formatDuration(totalSeconds) {
  if (totalSeconds < 120) return `${Math.round(totalSeconds)} seconden`;
  if (totalSeconds < 7200) return `${Math.round(totalSeconds / 60)} minuten`;
  return `${Math.round(totalSeconds / 3600)} uur`;
}

function formatAge(from, now) {
  if (!from) return "—";
  const minutes = Math.max(0, Math.round((now - new Date(from)) / 60000));
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.round(minutes / 60);
  if (hours < 48) return `${hours} uur`;
  return `${Math.round(hours / 24)} dagen`;
}

function heading(level, text, attributes) {
  return h(`h${level}`, { class: `utrecht-heading-${level}`, ...attributes }, text);
}

function paragraph(...children) {
  return h("p", { class: "utrecht-paragraph" }, ...children);
}

function link(href, text, attributes) {
  return h("a", { class: "utrecht-link", href, onclick: navigate, ...attributes }, text);
}

function alert(kind, text) {
  return h("div", { class: `utrecht-alert utrecht-alert--${kind} melding`, role: kind === "error" ? "alert" : "status" }, paragraph(text));
}

function table(caption, headers, rows, attributes) {
  // Focusable and named, so a table wider than the screen can be scrolled with the keyboard.
  return h("div", { class: "tabel-rol", tabindex: 0, role: "region", "aria-label": caption },
    h("table", { class: "utrecht-table", ...attributes },
      h("caption", { class: "utrecht-table__caption" }, caption),
      h("thead", { class: "utrecht-table__header" },
        h("tr", { class: "utrecht-table__row" }, headers.map((header) =>
          header instanceof Node ? header : h("th", { class: "utrecht-table__header-cell", scope: "col" }, header)))),
      h("tbody", { class: "utrecht-table__body" }, rows)));
}

function row(...cells) {
  return h("tr", { class: "utrecht-table__row" }, cells.map((cell) =>
    cell instanceof Node && cell.tagName === "TD" ? cell : h("td", { class: "utrecht-table__cell" }, cell)));
}

function numberCell(value) {
  return h("td", { class: "utrecht-table__cell getal" }, formatNumber(value));
}

function attentionOf(municipality) {
  const list = (municipality.attention ?? []).map((a) => ATTENTION[a]).filter(Boolean).sort((a, b) => a.rang - b.rang);
  return list.length > 0 ? list : [NO_ATTENTION];
}

function attentionLabels(municipality) {
  return attentionOf(municipality).map((a) => h("span", { class: `label ${a.klasse}` }, a.tekst));
}

// ---- API ---------------------------------------------------------------------------------------

class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail ?? problem?.title ?? `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

function isTransient(error) {
  return !(error instanceof ApiError) || [429, 502, 503, 504].includes(error.status);
}

async function api(path, init) {
  if (!init && !state.fresh && state.cache.has(path)) return state.cache.get(path);
  const response = await fetch(path, {
    credentials: "same-origin",
    ...init,
    headers: { Accept: "application/json", ...(init?.body ? { "Content-Type": "application/json" } : {}) },
  });
  if (response.status === 401) {
    window.location.assign("/aanmelden");
    throw new ApiError(401, null);
  }
  const body = await response.json().catch(() => null);
  if (!response.ok) throw new ApiError(response.status, body);
  if (!init) state.cache.set(path, body);
  return body;
}

async function mapSvg() {
  if (!state.map) {
    const response = await fetch("/kaart.svg", { credentials: "same-origin" });
    const text = await response.text();
    state.map = new DOMParser().parseFromString(text, "image/svg+xml").documentElement;
  }
  return document.importNode(state.map, true);
}

// ---- Navigation --------------------------------------------------------------------------------

function navigate(event) {
  const href = event.currentTarget.getAttribute("href");
  if (!href?.startsWith("/") || event.ctrlKey || event.metaKey || event.shiftKey) return;
  event.preventDefault();
  go(href);
}

function go(href) {
  window.history.pushState({}, "", href);
  state.openArrival = null;
  state.message = null;
  render(true);
}

function renderMenu() {
  const session = state.session;
  const items = [];
  if (session.role === "gemeente") {
    for (const code of session.municipalityCodes) items.push([`/gemeenten/${code}`, `Gemeente ${code}`]);
  } else {
    items.push(["/", "Landelijk overzicht"]);
  }
  items.push(["/escalaties", "Escalaties"]);
  const menu = document.getElementById("menu");
  menu.replaceChildren(...items.map(([href, text]) =>
    h("li", {}, link(href, text, { "aria-current": window.location.pathname === href ? "page" : null }))));
  document.getElementById("wie").textContent = `${session.person} · ${session.organisation}`;
}

// Draws the page for the current address: from the gateway (fresh) or from the last answers.
async function render(moveFocus, fresh = true) {
  if (state.refreshing) {
    state.again = true;
    state.againFresh ||= fresh;
    return;
  }
  state.refreshing = true;
  state.againFresh = fresh;
  try {
    do {
      state.fresh = state.againFresh;
      state.again = false;
      state.againFresh = false;
      renderMenu();
      const path = window.location.pathname;
      const main = document.getElementById("inhoud");
      let content;
      try {
        const match = path.match(/^\/gemeenten\/(\d{4})$/);
        if (match) content = await municipalityView(match[1]);
        else if (path === "/escalaties") content = await escalationsView();
        else if (state.session.role === "gemeente") {
          window.history.replaceState({}, "", `/gemeenten/${state.session.municipalityCodes[0]}`);
          state.again = true;
          state.againFresh = true;
          continue;
        } else content = await nationalView();
      } catch (error) {
        if (isTransient(error)) {
          // Storage busy, the organisation's rate limit, a dropped connection: keep what is shown and ask again.
          document.getElementById("bijgewerkt").textContent = "Niet bijgewerkt: de gateway is even niet bereikbaar; het dashboard probeert het over enkele seconden opnieuw.";
          window.setTimeout(() => render(false), 2000);
          if (main.dataset.getoond === path) continue;
        }
        content = [heading(1, "Er ging iets mis"), alert("error", `De gegevens konden niet worden geladen: ${error.message}`)];
      }
      const scrollY = window.scrollY;
      const active = document.activeElement;
      const focused = active?.id;
      const caret = active?.tagName === "INPUT" && active.type === "search" ? active.selectionStart : null;
      main.replaceChildren(...[content].flat().filter(Boolean));
      main.dataset.getoond = path;
      if (moveFocus) main.focus();
      else {
        window.scrollTo(0, scrollY);
        const again = focused ? document.getElementById(focused) : null;
        again?.focus();
        if (caret !== null && again?.setSelectionRange) again.setSelectionRange(caret, caret);
      }
      document.getElementById("bijgewerkt").textContent = `Bijgewerkt om ${new Date().toLocaleTimeString("nl-NL")}`;
      moveFocus = false;
    } while (state.again);
  } finally {
    state.refreshing = false;
  }
}

// ---- National view -----------------------------------------------------------------------------

async function nationalView() {
  const overview = await api("/v1/overview?everyMunicipality=true&seriesDays=90");
  const now = new Date(overview.asOf ?? Date.now());
  const municipalities = overview.municipalities ?? [];
  const national = overview.national ?? {};
  const needing = municipalities.filter((m) => (m.attention ?? []).length > 0 && !(m.attention.length === 1 && m.attention[0] === "ATTENTION_NEVER_CONNECTED"));
  const never = municipalities.filter((m) => (m.attention ?? []).includes("ATTENTION_NEVER_CONNECTED"));
  const open = (national.arrivalsByState ?? []).filter((s) => !CLOSED_STATES.has(s.state));
  document.title = "Landelijk overzicht · Ketendashboard nareizigers";
  return [
    heading(1, "Landelijk overzicht"),
    paragraph(`Alle ${municipalities.length} gemeenten. Een gemeente vraagt aandacht bij open escalaties, berichten die langer dan ${formatDuration(seconds(overview.staleAcknowledgementAfter))} onbevestigd zijn, te late inschrijvingen of gemelde onaangekondigde aankomsten. Er staan hier geen persoonsgegevens.`),
    h("ul", { class: "totalen", "aria-label": "Landelijke totalen" },
      total("Open aankomsten", sum(open)),
      total("Open escalaties", sum(national.openEscalations), true),
      total("Onaangekondigd gemeld", sum(national.unannounced)),
      total("Onbevestigde berichten", number(national.unacknowledgedNotices)),
      total("Gemeenten met aandacht", needing.length, true),
      total("Nooit verbonden", never.length)),
    await mapSection(municipalities),
    municipalityTable(municipalities, now),
    charts(overview.series),
  ];
}

function total(label, value, attention) {
  return h("li", { class: `totaal${attention && value > 0 ? " totaal--aandacht" : ""}` },
    h("span", { class: "totaal__getal" }, formatNumber(value)), label);
}

async function mapSection(municipalities) {
  const svg = await mapSvg();
  const byCode = new Map(municipalities.map((m) => [m.municipalityCode, m]));
  for (const path of svg.querySelectorAll("path[data-code]")) {
    const municipality = byCode.get(path.dataset.code);
    const attention = municipality ? attentionOf(municipality)[0] : NO_ATTENTION;
    path.classList.add(attention.klasse);
    path.setAttribute("data-aandacht", attention.klasse);
    path.addEventListener("click", () => go(`/gemeenten/${path.dataset.code}`));
  }
  const onMap = new Set(state.session.mapCodes);
  const missing = municipalities.filter((m) => !onMap.has(m.municipalityCode));
  return h("section", { class: "kaart", "aria-labelledby": "kaart-kop" },
    heading(2, "Kaart", { id: "kaart-kop" }),
    h("div", { class: "kaart__indeling" }, svg, h("div", {},
    paragraph("De kleur is de belangrijkste reden voor aandacht. De tabel hieronder bevat dezelfde gegevens en is met het toetsenbord te gebruiken; een gemeente op de kaart aanklikken opent haar overzicht."),
    h("ul", { class: "legenda", "aria-label": "Legenda" },
      [...Object.values(ATTENTION), NO_ATTENTION].map((a) => h("li", {}, h("span", { class: `legenda__blok ${a.klasse}`, "aria-hidden": "true" }), a.tekst))),
    missing.length > 0
      ? paragraph(`Niet op de kaart van 2025 (ontstaan door een latere samenvoeging): ${missing.map((m) => `${m.name} (${m.municipalityCode})`).join(", ")}.`)
      : paragraph("Alle gemeenten uit de gemeentetabel staan op de kaart."),
    h("p", { class: "bron" }, `Gemeentegrenzen: ${state.session.mapCredit}.`))));
}

const COLUMNS = [
  { key: "code", label: "Code", value: (m) => m.municipalityCode },
  { key: "naam", label: "Gemeente", value: (m) => m.name },
  { key: "aandacht", label: "Aandacht", value: (m) => attentionOf(m)[0].rang },
  { key: "escalaties", label: "Open escalaties", value: (m) => sum(m.openEscalations), numeric: true },
  { key: "onbevestigd", label: "Onbevestigde berichten", value: (m) => number(m.unacknowledgedNotices), numeric: true },
  { key: "oudste", label: "Oudste onbevestigd", value: (m) => m.oldestUnacknowledgedNotice ?? "9999" },
  { key: "streams", label: "Open streams", value: (m) => number(m.feed?.openStreams), numeric: true },
  { key: "bevestigd", label: "Laatste bevestiging", value: (m) => m.feed?.lastAcknowledged ?? "" },
];

function municipalityTable(municipalities, now) {
  const text = state.filter.text.trim().toLowerCase();
  const shown = municipalities
    .filter((m) => !text || m.name.toLowerCase().includes(text) || m.municipalityCode.includes(text))
    .filter((m) => !state.filter.onlyAttention || attentionOf(m)[0] !== NO_ATTENTION);
  const column = COLUMNS.find((c) => c.key === state.sort.column) ?? COLUMNS[2];
  shown.sort((a, b) => {
    const x = column.value(a);
    const y = column.value(b);
    const order = typeof x === "number" ? x - y : String(x).localeCompare(String(y), "nl");
    return (state.sort.ascending ? order : -order) || a.name.localeCompare(b.name, "nl");
  });
  const headers = COLUMNS.map((c) => h("th", {
    class: "utrecht-table__header-cell", scope: "col",
    "aria-sort": c.key === state.sort.column ? (state.sort.ascending ? "ascending" : "descending") : "none",
  }, h("button", {
    type: "button", class: "sorteer", id: `sorteer-${c.key}`,
    onclick: () => {
      state.sort = { column: c.key, ascending: state.sort.column === c.key ? !state.sort.ascending : !c.numeric };
      render(false, false);
    },
  }, c.label)));
  return h("section", { "aria-labelledby": "tabel-kop" },
    heading(2, "Gemeenten", { id: "tabel-kop" }),
    h("div", { class: "filters" },
      h("div", { class: "utrecht-form-field utrecht-form-field--text" },
        h("label", { class: "utrecht-form-label", for: "zoek" }, "Zoek op naam of code"),
        h("input", {
          class: "utrecht-textbox utrecht-textbox--html-input", id: "zoek", type: "search", value: state.filter.text,
          oninput: (event) => { state.filter.text = event.target.value; render(false, false); },
        })),
      h("div", { class: "utrecht-form-field utrecht-form-field--checkbox" },
        h("input", {
          class: "utrecht-checkbox utrecht-checkbox--html-input", id: "alleen-aandacht", type: "checkbox", checked: state.filter.onlyAttention,
          onchange: (event) => { state.filter.onlyAttention = event.target.checked; render(false, false); },
        }),
        h("label", { class: "utrecht-form-label utrecht-form-label--checkbox", for: "alleen-aandacht" }, " Alleen gemeenten die aandacht vragen"))),
    paragraph(h("span", { id: "aantal-getoond" }, `${shown.length} van ${municipalities.length} gemeenten`)),
    table("Gemeenten met hun aandachtspunten en berichtenstroom", headers, shown.map((m) => row(
      m.municipalityCode,
      link(`/gemeenten/${m.municipalityCode}`, m.name),
      h("td", { class: "utrecht-table__cell" }, attentionLabels(m)),
      numberCell(sum(m.openEscalations)),
      numberCell(number(m.unacknowledgedNotices)),
      formatAge(m.oldestUnacknowledgedNotice, now),
      numberCell(number(m.feed?.openStreams)),
      formatTime(m.feed?.lastAcknowledged))),
      { id: "gemeenten" }));
}

// ---- Charts ------------------------------------------------------------------------------------

function charts(series) {
  if (!series) return [];
  const escalations = new Map();
  for (const day of series.escalations ?? []) {
    const key = `${day.day.year}-${day.day.month}-${day.day.day}`;
    const entry = escalations.get(key) ?? { day: day.day, raised: 0, resolved: 0 };
    entry.raised += number(day.raised);
    entry.resolved += number(day.resolved);
    escalations.set(key, entry);
  }
  const perKind = new Map();
  for (const day of series.escalations ?? []) {
    const entry = perKind.get(day.kind) ?? { raised: 0, resolved: 0 };
    entry.raised += number(day.raised);
    entry.resolved += number(day.resolved);
    perKind.set(day.kind, entry);
  }
  return h("section", { "aria-labelledby": "grafieken-kop" },
    heading(2, `Verloop sinds ${formatDate(series.from)}`, { id: "grafieken-kop" }),
    h("div", { class: "grafieken" },
      barChart("Aangekondigde aankomsten per dag", (series.arrivalsAnnounced ?? []).map((d) => ({ label: formatDate(d.day), values: [number(d.count)] })), ["staaf"]),
      barChart("Escalaties per dag: ontstaan en opgelost", [...escalations.values()].map((d) => ({ label: formatDate(d.day), values: [d.raised, d.resolved] })), ["staaf--ontstaan", "staaf--opgelost"]),
      barChart("Onaangekondigde personen per week", (series.unannouncedPersonsPerWeek ?? []).map((d) => ({ label: `week van ${formatDate(d.day)}`, values: [number(d.count)] })), ["staaf"]),
      lineChart("Onbevestigde berichten in alle gemeentestromen (hoogste per dag)", (series.feedLag ?? []).map((s) => ({ label: new Date(s.takenAt).toLocaleDateString("nl-NL", { dateStyle: "medium" }), value: number(s.unacknowledgedNotices) })))),
    table("Escalaties per soort in deze periode", ["Soort", "Ontstaan", "Opgelost"],
      [...perKind.entries()].map(([kind, entry]) => row(KINDS[kind] ?? kind, numberCell(entry.raised), numberCell(entry.resolved)))));
}

function barChart(title, points, classes) {
  const width = 400;
  const height = 140;
  const max = Math.max(1, ...points.flatMap((p) => p.values));
  const slot = width / Math.max(points.length, 1);
  const bar = Math.max(1, slot / classes.length - 1);
  const summary = points.length === 0 ? "geen gegevens" : points.map((p) => `${p.label}: ${p.values.join(" en ")}`).join("; ");
  return h("figure", { class: "grafiek" },
    h("figcaption", {}, title),
    h("svg:svg", { viewBox: `0 0 ${width} ${height + 14}`, role: "img", "aria-label": `${title}. ${summary}` },
      points.flatMap((p, i) => p.values.map((value, j) => h("svg:rect", {
        class: `staaf ${classes[j]}`, x: i * slot + j * bar, width: bar,
        y: height - (value / max) * height, height: (value / max) * height,
      }, h("svg:title", {}, `${p.label}: ${value}`)))),
      h("svg:text", { x: 0, y: height + 12 }, points[0]?.label ?? ""),
      h("svg:text", { x: width, y: height + 12, "text-anchor": "end" }, points.at(-1)?.label ?? ""),
      h("svg:text", { x: 2, y: 10 }, `max ${formatNumber(max)}`)));
}

function lineChart(title, points) {
  const width = 400;
  const height = 140;
  const max = Math.max(1, ...points.map((p) => p.value));
  const step = width / Math.max(points.length - 1, 1);
  const coordinates = points.map((p, i) => `${(i * step).toFixed(1)},${(height - (p.value / max) * height).toFixed(1)}`).join(" ");
  const last = points.at(-1);
  return h("figure", { class: "grafiek" },
    h("figcaption", {}, title),
    h("svg:svg", { viewBox: `0 0 ${width} ${height + 14}`, role: "img", "aria-label": `${title}. ${points.length} metingen, hoogste ${max}${last ? `, laatste ${last.value} (${last.label})` : ""}` },
      h("svg:polyline", { points: coordinates }),
      points.length === 1 ? h("svg:circle", { cx: 0, cy: height - (points[0].value / max) * height, r: 4, class: "punt" }) : null,
      h("svg:text", { x: 0, y: height + 12 }, points[0]?.label ?? "geen metingen"),
      h("svg:text", { x: width, y: height + 12, "text-anchor": "end" }, last?.label ?? ""),
      h("svg:text", { x: 2, y: 10 }, `max ${formatNumber(max)}`)));
}

// ---- Municipality view -------------------------------------------------------------------------

async function municipalityView(code) {
  let overview;
  try {
    // Two weeks: every snapshot (longer series have one point per day).
    overview = await api(`/v1/municipalities/${code}/overview?seriesDays=14`);
  } catch (error) {
    if (error.status === 404) {
      document.title = "Niet gevonden · Ketendashboard nareizigers";
      return [heading(1, "Gemeente niet gevonden"), paragraph(`Er is geen gemeente met code ${code} die u kunt bekijken.`)];
    }
    throw error;
  }
  const now = new Date(overview.asOf ?? Date.now());
  const municipality = overview.municipality;
  const feed = municipality.feed ?? {};
  document.title = `${municipality.name} · Ketendashboard nareizigers`;
  const content = [
    heading(1, `${municipality.name} (${municipality.municipalityCode})`),
    h("p", { class: "utrecht-paragraph", id: "aandacht" }, attentionLabels(municipality)),
    state.message,
    heading(2, "Berichtenstroom"),
    h("dl", { class: "gegevens" },
      h("dt", {}, "Open streams"), h("dd", { id: "open-streams" }, formatNumber(number(feed.openStreams))),
      h("dt", {}, "Laatst verbonden"), h("dd", {}, formatTime(feed.lastConnected)),
      h("dt", {}, "Laatste bevestiging"), h("dd", {}, formatTime(feed.lastAcknowledged)),
      h("dt", {}, "Onbevestigde berichten"), h("dd", { id: "onbevestigd" }, formatNumber(number(municipality.unacknowledgedNotices))),
      h("dt", {}, "Oudste onbevestigde bericht"), h("dd", {}, municipality.oldestUnacknowledgedNotice
        ? `${formatTime(municipality.oldestUnacknowledgedNotice)} (${formatAge(municipality.oldestUnacknowledgedNotice, now)} geleden)` : "—")),
    h("div", { class: "grafieken" },
      lineChart("Onbevestigde berichten in de stroom van deze gemeente", (overview.feedLag ?? []).map((s) => ({ label: formatTime(s.takenAt), value: number(s.unacknowledgedNotices) })))),
    heading(2, "Aankomsten per status"),
    table("Aankomsten per status", ["Status", "Aantal"],
      (municipality.arrivalsByState ?? []).map((s) => row(STATES[s.state] ?? s.state, numberCell(number(s.count))))),
    escalationTable(overview.openEscalations ?? [], now, `Open escalaties van ${municipality.name}`),
  ];
  if (state.session.role === "gemeente") content.push(await arrivalsSection(code, now));
  return content;
}

async function arrivalsSection(code, now) {
  const list = await api(`/v1/arrivals?municipalityCode=${code}&pageSize=200`);
  const open = (list.arrivals ?? []).filter((a) => !CLOSED_STATES.has(a.state));
  const section = h("section", { "aria-labelledby": "aankomsten-kop" },
    heading(2, "Open aankomsten", { id: "aankomsten-kop" }),
    paragraph("Namen en gegevens van reizigers staan pas in beeld als u een aankomst opent; dat wordt vastgelegd."),
    table("Open aankomsten met status en termijnen", ["Aankomst", "Status", "Verwacht", "Reizigers", "Instemming uiterlijk", "Escalaties", "Gegevens"],
      open.map((a) => row(
        a.arrivalId,
        STATES[a.state] ?? a.state,
        formatDate(a.details?.expectedArrivalDate),
        numberCell((a.travellers ?? []).length),
        formatDate(a.consent?.decideBy),
        numberCell((a.escalations ?? []).filter((e) => !e.resolvedAt).length),
        h("button", {
          type: "button", class: "utrecht-button utrecht-button--secondary-action", "data-aankomst": a.arrivalId,
          onclick: () => { state.openArrival = a.arrivalId; render(false, false); },
        }, "Openen"))),
      { id: "aankomsten" }));
  if (state.openArrival) section.append(await arrivalDetails(state.openArrival, now));
  return section;
}

async function arrivalDetails(arrivalId, now) {
  const { arrival } = await api(`/v1/arrivals/${encodeURIComponent(arrivalId)}`);
  const details = arrival.details ?? {};
  return h("section", { class: "aankomst", "aria-labelledby": "aankomst-kop", id: "aankomst" },
    heading(3, `Aankomst ${arrival.arrivalId}`, { id: "aankomst-kop" }),
    h("dl", { class: "gegevens" },
      h("dt", {}, "Status"), h("dd", {}, STATES[arrival.state] ?? arrival.state),
      h("dt", {}, "Aangekondigd"), h("dd", {}, `${formatTime(arrival.announcedAt)} (${formatAge(arrival.announcedAt, now)} geleden)`),
      h("dt", {}, "Verwacht"), h("dd", {}, formatDate(details.expectedArrivalDate)),
      h("dt", {}, "Zaak"), h("dd", {}, details.caseReference ?? "—")),
    table("Reizigers", ["V-nummer", "Naam", "Geboortedatum", "Status"],
      (details.travellers ?? []).map((t) => {
        const status = (arrival.travellers ?? []).find((s) => s.vNumber === t.vNumber);
        const name = [t.name?.givenNames, t.name?.surnamePrefix, t.name?.surname].filter(Boolean).join(" ");
        return row(t.vNumber, name, formatDate(t.birthDate), TRAVELLER_STATES[status?.state] ?? status?.state ?? "—");
      })),
    h("button", { type: "button", class: "utrecht-button utrecht-button--subtle", onclick: () => { state.openArrival = null; render(false, false); } }, "Sluiten"));
}

// ---- Escalations -------------------------------------------------------------------------------

async function escalationsView() {
  const list = await api("/v1/escalations");
  document.title = "Escalaties · Ketendashboard nareizigers";
  return [
    heading(1, "Open escalaties"),
    paragraph(state.session.mayResolve
      ? "Ketenregie lost een escalatie op met een toelichting; uw naam wordt aan de toelichting toegevoegd."
      : "Escalaties worden door ketenregie opgelost."),
    state.message,
    escalationTable(list.escalations ?? [], new Date(), `${formatNumber(number(list.total))} open escalaties, oudste eerst`),
  ];
}

function escalationTable(escalations, now, caption) {
  const sorted = [...escalations].sort((a, b) => String(a.escalation.raisedAt).localeCompare(String(b.escalation.raisedAt)));
  if (sorted.length === 0) return paragraph("Er zijn geen open escalaties.");
  const headers = ["Soort", "Gemeente", "Aankomst", "Ontstaan", "Leeftijd", "Omschrijving"];
  if (state.session.mayResolve) headers.push("Oplossen");
  return h("div", {},
    table(caption, headers, sorted.map((e) => {
      const cells = [
        KINDS[e.escalation.kind] ?? e.escalation.kind,
        e.municipalityCode,
        e.arrivalId,
        formatTime(e.escalation.raisedAt),
        formatAge(e.escalation.raisedAt, now),
        e.escalation.description,
      ];
      if (state.session.mayResolve) cells.push(h("td", { class: "utrecht-table__cell" }, resolveForm(e.escalation.escalationId)));
      return row(...cells);
    }), { id: "escalaties" }));
}

function resolveForm(escalationId) {
  const id = `toelichting-${escalationId}`;
  return h("form", {
    class: "oplossen", "data-escalatie": escalationId,
    onsubmit: async (event) => {
      event.preventDefault();
      const form = event.currentTarget;
      const note = form.elements.note.value.trim();
      form.querySelector("button").disabled = true;
      try {
        await api(`/v1/escalations/${encodeURIComponent(escalationId)}/resolution`, {
          method: "POST",
          body: JSON.stringify({ requestId: crypto.randomUUID(), note }),
        });
        state.message = alert("ok", "De escalatie is opgelost.");
      } catch (error) {
        state.message = alert("error", `De escalatie is niet opgelost: ${error.message}`);
      }
      render(false);
    },
  },
  h("label", { class: "utrecht-form-label", for: id }, "Toelichting"),
  h("textarea", { class: "utrecht-textarea", id, name: "note", required: true, maxlength: 380 }),
  h("button", { type: "submit", class: "utrecht-button utrecht-button--primary-action" }, "Oplossen"));
}

// ---- Start -------------------------------------------------------------------------------------

// A change elsewhere re-draws the page, but not under a person writing a note: then a little later.
function liveRefresh() {
  const active = document.activeElement;
  if (active?.tagName === "TEXTAREA" && active.value) {
    window.setTimeout(liveRefresh, 2000);
    return;
  }
  render(false);
}

async function start() {
  const response = await fetch("/sessie", { credentials: "same-origin" });
  if (!response.ok) {
    window.location.assign("/aanmelden");
    return;
  }
  state.session = await response.json();
  window.addEventListener("popstate", () => render(true));
  await render(false);
  const events = new EventSource("/gebeurtenissen");
  events.addEventListener("wijziging", liveRefresh);
  events.addEventListener("error", () => {
    document.getElementById("bijgewerkt").textContent = "De live verbinding is onderbroken; de browser probeert opnieuw.";
  });
}

start();
