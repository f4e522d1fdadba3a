// The panel: the physician's patients with TTR, last INR, days since the last valid test and open alerts, in
// one request; sortable by any column and filtered by name in the page (a thousand rows are built once and
// only reordered); and a search over every patient the user reaches.

import { api, signedIn } from "./api.js";
import { badge, byId, fill, formatDate, h, percent, showError, siteHeader, words } from "./ui.js";

const me = (await signedIn(["physician", "admin"])).user;
siteHeader(me);

const tbody = byId("panel").tBodies[0];
const pageError = byId("page-error");
let entries = [];  // [{row, data}] in the server's order (by name)
let sortKey = "name";
let descending = false;

const SORT_VALUES = {
  name: (p) => p.patient.full_name.toLocaleLowerCase(),
  ttr: (p) => p.ttr.percent,
  inr: (p) => (p.last_inr ? Number(p.last_inr.reading.replace(/[<>]/, "")) : null),
  days: (p) => p.days_since_last_valid_test,
  alerts: (p) => (p.open_alerts ? p.open_critical_alerts * 10000 + p.open_alerts : 0),
};

function rowOf(p) {
  const inr = p.last_inr;
  return h("tr", { dataset: { patientId: p.patient.id } },
    h("th", { attrs: { scope: "row" } }, h("a", { href: `/dashboard/patient#${p.patient.id}`, text: p.patient.full_name }),
      h("span", { class: "hint", text: ` born ${formatDate(p.patient.date_of_birth)}` })),
    h("td", { class: "number", text: percent(p.ttr.percent) }),
    h("td", {}, inr ? h("span", {}, `${inr.reading} `, badge(inr.level)) : "None yet"),
    h("td", { class: "number", text: p.days_since_last_valid_test === null ? "—" : String(p.days_since_last_valid_test),
              title: p.last_valid_test_on ? `Last valid test ${formatDate(p.last_valid_test_on)}` : "" }),
    h("td", {}, p.open_alerts
      ? h("span", {}, p.open_critical_alerts ? badge("critical", `${p.open_critical_alerts} critical`) : "",
          ` ${p.open_alerts} open`)
      : "None"));
}

function compare(a, b) {
  const va = SORT_VALUES[sortKey](a.data);
  const vb = SORT_VALUES[sortKey](b.data);
  if (va === null && vb === null) return 0;
  if (va === null) return 1;  // patients without the figure go last, whichever the direction
  if (vb === null) return -1;
  const order = va < vb ? -1 : va > vb ? 1 : 0;
  return descending ? -order : order;
}

function show() {
  const words_ = byId("name-filter").value.trim().toLocaleLowerCase().split(/\s+/).filter(Boolean);
  const sorted = [...entries].sort(compare);  // stable: ties keep the order by name
  const fragment = document.createDocumentFragment();
  let visible = 0;
  for (const entry of sorted) {
    const name = entry.data.patient.full_name.toLocaleLowerCase();
    entry.row.hidden = !words_.every((word) => name.includes(word));
    if (!entry.row.hidden) visible += 1;
    fragment.append(entry.row);
  }
  tbody.append(fragment);
  for (const th of byId("panel").tHead.rows[0].cells) {
    if (th.dataset.sort === sortKey) th.setAttribute("aria-sort", descending ? "descending" : "ascending");
    else th.removeAttribute("aria-sort");
  }
  return visible;
}

async function load() {
  pageError.hidden = true;
  const physicianId = byId("physician").value || me.id;
  const panel = await api.get(`/physicians/${physicianId}/panel`, { window_days: byId("window").value });
  entries = panel.patients.map((data) => ({ data, row: rowOf(data) }));
  fill(tbody);
  byId("panel-heading").textContent = `Panel of ${panel.physician.full_name}`;
  const visible = show();
  byId("panel-summary").textContent = `${panel.patients.length} patients` +
    (visible !== panel.patients.length ? ` (${visible} shown)` : "") +
    `; panel TTR ${percent(panel.panel.percent)} over ${panel.panel.days_total.toFixed(0)} interpolated days.`;
  document.body.dataset.loaded = "true";
}

for (const th of byId("panel").tHead.rows[0].cells) {
  th.querySelector("button").addEventListener("click", () => {
    descending = sortKey === th.dataset.sort ? !descending : th.dataset.sort !== "name";
    sortKey = th.dataset.sort;
    show();
  });
}

byId("name-filter").addEventListener("input", () => {
  const visible = show();
  byId("panel-summary").textContent = `${visible} of ${entries.length} patients shown.`;
});
byId("window").addEventListener("change", () => load().catch((error) => showError(pageError, error)));
byId("physician").addEventListener("change", () => load().catch((error) => showError(pageError, error)));
byId("panel-controls").addEventListener("submit", (event) => event.preventDefault());

// --- search over every patient the user reaches ---------------------------------------------------------------

let searchOffset = 0;
let lastSearch = {};

async function search(more = false) {
  const status = byId("search-status");
  if (!more) {
    searchOffset = 0;
    lastSearch = { name: byId("search-name").value.trim(), date_of_birth: byId("search-dob").value };
    fill(byId("search-results"));
  }
  if (!lastSearch.name && !lastSearch.date_of_birth) {
    status.textContent = "Enter a name or a date of birth.";
    return;
  }
  try {
    const page = await api.get("/patients", { ...lastSearch, limit: 25, offset: searchOffset });
    byId("search-results").append(...page.items.map((p) => h("li", {},
      h("a", { href: `/dashboard/patient#${p.id}`, text: p.full_name }),
      ` born ${formatDate(p.date_of_birth)}, ${p.physician.full_name}'s patient`)));
    searchOffset += page.items.length;
    status.textContent = page.total ? `${searchOffset} of ${page.total} patients found.` : "No patient found.";
    byId("search-more").hidden = searchOffset >= page.total;
  } catch (error) {
    showError(status, error, "Search failed");
  }
}

byId("search-form").addEventListener("submit", (event) => {
  event.preventDefault();
  search();
});
byId("search-more").addEventListener("click", () => search(true));

async function main() {
  if (me.role === "admin") {
    const physicians = await api.get("/users", { role: "physician" });
    fill(byId("physician"), ...physicians.items.map((user) => h("option", { value: user.id, text: user.full_name })));
    byId("physician-field").hidden = false;
    if (!physicians.items.length) {
      byId("panel-summary").textContent = `No ${words("physician").toLowerCase()} yet.`;
      return;
    }
  }
  await load();
}

main().catch((error) => showError(pageError, error, "The panel could not be shown"));
