// The alert queue: most severe then oldest first, counts by severity, filters, acknowledge in one click, and a
// refresh every 30 seconds that keeps the user's place (rows are updated in place; focus, scroll and the open
// filters stay as they were).

import { api, ApiProblem, signedIn } from "./api.js";
import {
  badge, byId, fill, focusKey, formatInstant, h, restoreFocus, showError, siteHeader, waited, words,
} from "./ui.js";

export const POLL_MS = 30000;
const LIMIT = 500;

const me = (await signedIn(["physician", "admin"])).user;
siteHeader(me);

const form = byId("filter-form");
const tbody = byId("queue").tBodies[0];
const statusLine = byId("queue-status");
const rows = new Map();  // alert id -> <tr>
const kinds = new Set();
let timer = null;
let loading = null;

function filters() {
  const data = new FormData(form);
  return { severity: data.get("severity") || "", status: data.getAll("status"), kind: data.get("kind") || "" };
}

function escalation(alert) {
  if (!alert.escalation_level) return null;
  const to = alert.escalated_to ? `the covering physician, ${alert.escalated_to.full_name}` : "the practice";
  return h("span", { class: "status-line" }, badge("escalated", "Escalated"),
           h("span", { class: "status-line", text: `to ${to}, ${formatInstant(alert.escalated_at, { short: true })}` }));
}

function statusCell(alert) {
  const parts = [h("span", { class: "status-line" }, badge(alert.status))];
  if (alert.acknowledged_by) {
    parts.push(h("span", { class: "status-line",
                           text: `by ${alert.acknowledged_by.full_name}, ${formatInstant(alert.acknowledged_at, { short: true })}` }));
  }
  const escalated = escalation(alert);
  if (escalated) parts.push(escalated);
  return parts;
}

function actions(alert) {
  const patientId = alert.patient.id;
  const cells = [];
  if (alert.status === "open") {
    cells.push(h("button", {
      type: "button", class: "primary", text: "Acknowledge",
      dataset: { focusKey: `ack:${alert.id}` },
      attrs: { "aria-label": `Acknowledge the ${words(alert.severity).toLowerCase()} alert for ${alert.patient.full_name}` },
      on: { click: (event) => acknowledge(alert, event.currentTarget) },
    }));
  }
  if (alert.status !== "resolved") {
    cells.push(h("a", { class: "button", href: `/dashboard/review#${patientId}`, text: "Review",
                        dataset: { focusKey: `review:${alert.id}` },
                        attrs: { "aria-label": `Review the results of ${alert.patient.full_name}` } }));
  }
  return cells;
}

function cellsOf(alert) {
  const kind = alert.kind === undefined ? null : alert.kind;
  return [
    [badge(alert.severity)],
    [h("a", { href: `/dashboard/patient#${alert.patient.id}`, text: alert.patient.full_name,
              dataset: { focusKey: `patient:${alert.id}` } })],
    kind === null ? null : [words(kind)],
    [alert.reading ? `${alert.reading}${alert.level ? ` (${words(alert.level).toLowerCase()})` : ""}` : "—"],
    [formatInstant(alert.measured_at, { short: true })],
    [waited(alert.opened_at)],
    statusCell(alert),
    actions(alert),
  ];
}

function describe(node) {
  if (typeof node === "string") return node;
  return `${node.tagName}.${node.className}:${node.textContent}@${node.getAttribute("href") || ""}`;
}

/** A row for `alert`, updated in place when it exists: a cell is rewritten only when what it says changed, so
 *  a screen reader is not interrupted and a focused button stays focused. */
function render(alert) {
  let row = rows.get(alert.id);
  if (!row) {
    row = h("tr", { dataset: { alertId: alert.id } });
    rows.set(alert.id, row);
  }
  row.className = `severity-${alert.severity}${alert.escalation_level ? " escalated" : ""}`;
  const cells = cellsOf(alert).filter((cell) => cell !== null || kinds.size);
  const wanted = cells.map((cell) => cell || ["—"]);
  wanted.forEach((content, index) => {
    let cell = row.cells[index];
    if (!cell) {
      cell = h(index === 1 ? "th" : "td", index === 1 ? { attrs: { scope: "row" } } : {});
      if (index === wanted.length - 1) cell.className = "actions";
      row.append(cell);
    }
    const signature = content.map(describe).join("|");
    if (cell.dataset.signature !== signature) {
      const focused = cell.contains(document.activeElement) ? focusKey(document.activeElement) : "";
      fill(cell, ...content);
      cell.dataset.signature = signature;
      restoreFocus(focused);
    }
  });
  while (row.cells.length > wanted.length) row.deleteCell(-1);
  return row;
}

function showKinds(items) {
  for (const alert of items) if (alert.kind) kinds.add(alert.kind);
  if (!kinds.size) return;
  byId("kind-field").hidden = false;
  for (const column of document.querySelectorAll(".kind-column")) column.hidden = false;
  const select = byId("filter-kind");
  const known = new Set([...select.options].map((option) => option.value));
  for (const kind of kinds) if (!known.has(kind)) select.append(h("option", { value: kind, text: words(kind) }));
}

function showCounts(counts, shown, total) {
  fill(byId("counts"), ...Object.entries(counts).map(([severity, count]) =>
    h("li", {}, badge(severity, `${words(severity)}: ${count}`))));
  statusLine.textContent = total > shown ? `Showing the first ${shown} of ${total} alerts.` : "";
}

/** The row the user is at (the focused one, else the first in view) and where it is on the screen. */
function placeOf(active) {
  const row = (active && active.closest && active.closest("#queue tbody tr"))
    || [...tbody.rows].find((candidate) => candidate.getBoundingClientRect().bottom > 0);
  return row ? { row, top: row.getBoundingClientRect().top } : null;
}

/** Scroll so that the row the user was at stays where it was, whatever was added or removed above it. */
function keepPlace(anchor) {
  if (!anchor || !anchor.row.isConnected) return;
  const moved = anchor.row.getBoundingClientRect().top - anchor.top;
  if (Math.abs(moved) >= 1) window.scrollBy(0, moved);
}

async function load({ announce = false } = {}) {
  const chosen = filters();
  if (!chosen.status.length) {
    statusLine.textContent = "Choose at least one status.";
    return;
  }
  const page = await api.get("/alerts", { status: chosen.status, severity: chosen.severity, limit: LIMIT });
  showKinds(page.items);
  const items = chosen.kind ? page.items.filter((alert) => alert.kind === chosen.kind) : page.items;
  const before = new Set(rows.keys());
  const focused = focusKey(document.activeElement);
  const anchor = placeOf(document.activeElement);
  // Put the rows in the server's order, moving only those out of place, and drop the ones gone.
  items.forEach((alert, index) => {
    const row = render(alert);
    if (tbody.rows[index] !== row) tbody.insertBefore(row, tbody.rows[index] || null);
  });
  const wanted = new Set(items.map((alert) => alert.id));
  for (const [id, row] of rows) {
    if (!wanted.has(id)) {
      row.remove();
      rows.delete(id);
    }
  }
  restoreFocus(focused);
  keepPlace(anchor);
  const total = chosen.severity ? page.counts[chosen.severity] : Object.values(page.counts).reduce((a, b) => a + b, 0);
  showCounts(page.counts, items.length, chosen.kind ? items.length : total);
  byId("queue-empty").hidden = items.length > 0;
  const added = items.filter((alert) => !before.has(alert.id)).length;
  if (announce && added) statusLine.textContent = `${added} new alert${added === 1 ? "" : "s"}.`;
}

function refresh(options) {
  if (!loading) {
    loading = load(options).catch((error) => showError(statusLine, error, "The queue could not be refreshed"))
      .finally(() => { loading = null; });
  }
  return loading;
}

function schedule() {
  clearTimeout(timer);
  timer = setTimeout(async () => {
    if (!document.hidden) await refresh({ announce: true });
    schedule();
  }, POLL_MS);
}

async function acknowledge(alert, button) {
  button.disabled = true;
  button.textContent = "Acknowledging…";
  try {
    const updated = await api.post(`/alerts/${alert.id}/acknowledge`);
    const row = render(updated);
    statusLine.textContent = `Alert for ${updated.patient.full_name} acknowledged.`;
    const next = row.querySelector("[data-focus-key^='review:']") || row.querySelector("a");
    if (next) next.focus();
  } catch (error) {
    if (error instanceof ApiProblem && error.status === 409) {
      statusLine.textContent = `${error.message} The list has been refreshed.`;
      await refresh();
    } else {
      button.disabled = false;
      button.textContent = "Acknowledge";
      showError(statusLine, error, "Not acknowledged");
    }
  }
}

form.addEventListener("change", () => refresh());
form.addEventListener("submit", (event) => event.preventDefault());
document.addEventListener("visibilitychange", () => {
  if (!document.hidden) refresh({ announce: true });
});
refresh().then(schedule);
