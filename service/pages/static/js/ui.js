// What every screen shares: building elements (text always through textContent, never innerHTML), the site
// header, badges that say severity and level in words and with an icon shape, and dates as people read them.

import { ApiProblem, logOut } from "./api.js";

const SVG_NS = "http://www.w3.org/2000/svg";

/** An HTML element: `props` may hold `class`, `text`, `attrs` (attributes), `on` (event handlers), `dataset`
 *  and any other DOM property (`hidden`, `disabled`, `type`, `href`...); children are nodes or strings. */
export function h(tag, props = {}, ...children) {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === undefined || value === null) continue;
    if (key === "class") element.className = value;
    else if (key === "text") element.textContent = value;
    else if (key === "attrs") for (const [name, v] of Object.entries(value)) element.setAttribute(name, v);
    else if (key === "on") for (const [name, handler] of Object.entries(value)) element.addEventListener(name, handler);
    else if (key === "dataset") Object.assign(element.dataset, value);
    else element[key] = value;
  }
  append(element, children);
  return element;
}

/** An SVG element with attributes (`class` included) and children. */
export function svg(tag, attrs = {}, ...children) {
  const element = document.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value !== undefined && value !== null) element.setAttribute(name, String(value));
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    element.append(typeof child === "string" || typeof child === "number" ? String(child) : child);
  }
}

/** Replace what `node` holds with `children`. */
export function fill(node, ...children) {
  node.replaceChildren();
  append(node, children);
  return node;
}

export function byId(id) {
  return document.getElementById(id);
}

// --- words for the API's codes ------------------------------------------------------------------------------

const WORDS = {
  critical: "Critical", out_of_range: "Out of range", routine: "Routine",
  in_range: "In range", low: "Low", high: "High", critical_low: "Critical low", critical_high: "Critical high",
  open: "Open", acknowledged: "Acknowledged", resolved: "Resolved",
  result: "Result", missed_tests: "Missed tests", no_valid_result: "No valid result",
  keep_dose: "Keep the current dose", new_dose: "New dose", hold_doses: "Hold doses",
  go_to_emergency: "Go to the emergency department",
  not_started: "Not started", needs_practice: "Needs practice", done: "Done",
  demonstrated: "Demonstrated", explained: "Explained",
  competent: "Competent", not_yet: "Not yet competent",
  cleared: "Cleared for home testing", revoked: "Clearance revoked", not_cleared: "Not cleared yet",
  initial: "Initial training", retraining: "Retraining", reassessment: "Reassessment",
  patient: "Patient", caregiver: "Caregiver", physician: "Physician", admin: "Administrator",
  trainer: "Trainer", biller: "Biller", app: "App", phone: "Phone",
};

/** Plain words for a code of the API ("critical_low" -> "Critical low"); an unknown code, spelled out. */
export function words(code) {
  if (code === null || code === undefined || code === "") return "—";
  return WORDS[code] || String(code).replaceAll("_", " ").replace(/^./, (c) => c.toUpperCase());
}

export const DAYS = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"];

// --- icons: a shape for each meaning, so colour is never the only signal -------------------------------------

const ICONS = {
  // A triangle with "!" for critical; a circle with "!" for out of range; a circle with a check for in range.
  critical: [["path", { d: "M8 1.5 15 14.5H1z", fill: "currentColor" }],
             ["path", { d: "M8 6v4M8 11.5v1", stroke: "#fff", "stroke-width": 1.8, "stroke-linecap": "round" }]],
  warning: [["circle", { cx: 8, cy: 8, r: 7, fill: "currentColor" }],
            ["path", { d: "M8 4v4.5M8 11v.5", stroke: "#fff", "stroke-width": 1.8, "stroke-linecap": "round" }]],
  ok: [["circle", { cx: 8, cy: 8, r: 7, fill: "currentColor" }],
       ["path", { d: "M4.5 8.2 7 10.5l4.5-5", fill: "none", stroke: "#fff", "stroke-width": 1.8 }]],
  invalid: [["circle", { cx: 8, cy: 8, r: 6.5, fill: "none", stroke: "currentColor", "stroke-width": 1.8 }],
            ["path", { d: "M5 5l6 6M11 5l-6 6", stroke: "currentColor", "stroke-width": 1.8 }]],
  escalated: [["path", { d: "M8 1 14 7H10v3H6V7H2zM6 11.5h4v1.5H6zM6 14h4v1H6z", fill: "currentColor" }]],
  pending: [["circle", { cx: 8, cy: 8, r: 6.5, fill: "none", stroke: "currentColor", "stroke-width": 1.8 }],
            ["path", { d: "M8 4v4.5l3 1.5", fill: "none", stroke: "currentColor", "stroke-width": 1.6 }]],
  check: [["path", { d: "M2.5 8.5 6.5 12.5 13.5 4", fill: "none", stroke: "currentColor", "stroke-width": 2.2 }]],
};

const ICON_OF = {
  critical: "critical", critical_low: "critical", critical_high: "critical",
  out_of_range: "warning", low: "warning", high: "warning", needs_practice: "warning", revoked: "warning",
  in_range: "ok", done: "ok", competent: "ok", cleared: "ok",
  invalid: "invalid", not_started: "pending", not_cleared: "pending", open: "pending",
  escalated: "escalated", acknowledged: "check", resolved: "check", routine: "warning",
};

export function icon(name) {
  const shapes = ICONS[ICON_OF[name] || name] || ICONS.pending;
  return svg("svg", { viewBox: "0 0 16 16", "aria-hidden": "true", focusable: "false" },
             shapes.map(([tag, attrs]) => svg(tag, attrs)));
}

/** A badge: icon, words and colour for a severity, level, status or outcome. */
export function badge(code, text = words(code)) {
  return h("span", { class: `badge ${code}` }, icon(code), h("span", { text }));
}

// --- dates and times -------------------------------------------------------------------------------------------

const INSTANT = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

/** An API instant as its own wall clock shows it, with the offset it carries: "Mon 23 Nov 2026, 09:30 (UTC−05:00)"
 *  (`short`: without this year's year).
 *  The API writes a result's times with the offset of the patient's meter, so this is the patient's clock. */
export function formatInstant(iso, { offset = true, short = false } = {}) {
  if (!iso) return "—";
  const parts = INSTANT.exec(iso);
  if (!parts) return iso;
  const [, y, mo, d, hh, mm, , zone] = parts;
  const wall = new Date(Date.UTC(+y, +mo - 1, +d, +hh, +mm));
  const thisYear = +y === new Date().getFullYear();
  const text = new Intl.DateTimeFormat(undefined, {
    weekday: "short", day: "numeric", month: "short", year: short && thisYear ? undefined : "numeric",
    hour: "2-digit", minute: "2-digit", timeZone: "UTC",
  }).format(wall);
  if (!offset) return text;
  return `${text} (UTC${zone === "Z" || zone === "+00:00" ? "" : zone.replace("-", "−")})`;
}

/** An instant of the staff's own work (a review, an acknowledgement, a signature) in the browser's time zone. */
export function formatLocal(iso) {
  if (!iso) return "—";
  return new Intl.DateTimeFormat(undefined, {
    weekday: "short", day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit",
    timeZoneName: "short",
  }).format(new Date(iso));
}

/** A calendar date ("2026-11-23") as "Mon 23 Nov 2026". */
export function formatDate(day) {
  if (!day) return "—";
  const [y, m, d] = day.split("-").map(Number);
  return new Intl.DateTimeFormat(undefined, {
    weekday: "short", day: "numeric", month: "short", year: "numeric", timeZone: "UTC",
  }).format(new Date(Date.UTC(y, m - 1, d)));
}

/** How long ago an instant was, in words ("3 h", "2 days"). */
export function waited(iso, now = Date.now()) {
  const minutes = Math.max(0, Math.round((now - Date.parse(iso)) / 60000));
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.round(minutes / 60);
  if (hours < 48) return `${hours} h`;
  return `${Math.round(hours / 24)} days`;
}

/** Today in the browser's calendar, as "YYYY-MM-DD". */
export function today(offsetDays = 0) {
  const now = new Date(Date.now() + offsetDays * 86400000);
  return `${now.getFullYear()}-${String(now.getMonth() + 1).padStart(2, "0")}-${String(now.getDate()).padStart(2, "0")}`;
}

export function percent(value) {
  return value === null || value === undefined ? "—" : `${Math.round(value)}%`;
}

export function mg(value) {
  return value === null || value === undefined ? "—" : `${Number(value).toLocaleString()} mg`;
}

/** The weekly dose table of a review, read-only: the days across (a tablet) or down (a phone). */
export function doseTable(doses, { down = false } = {}) {
  const caption = h("caption", { class: "visually-hidden", text: "Warfarin dose per day, in mg" });
  if (down) {
    return h("table", { class: "doses-down" }, caption, h("tbody", {}, ...DAYS.map((day) =>
      h("tr", {}, h("th", { text: words(day), attrs: { scope: "row" } }), h("td", { text: mg(doses[day]) })))));
  }
  return h("div", { class: "table-wrap" }, h("table", { class: "doses-view" }, caption,
    h("thead", {}, h("tr", {}, ...DAYS.map((day) => h("th", { text: words(day).slice(0, 3), attrs: { scope: "col", title: words(day) } })))),
    h("tbody", {}, h("tr", {}, ...DAYS.map((day) => h("td", { text: mg(doses[day]) }))))));
}

// --- the page around the screen -----------------------------------------------------------------------------

const STAFF_LINKS = [["/dashboard/", "Alert queue"], ["/dashboard/panel", "Panel"]];

/** The site header: the brand, the screens of the user's role, who is logged in and a log-out button. */
export function siteHeader(user) {
  const header = byId("site-header");
  const links = user.role === "physician" || user.role === "admin" ? STAFF_LINKS : [["/checklist/", "Checklist"]];
  fill(header,
       h("p", { class: "brand" }, h("img", { src: "/assets/icon.svg", alt: "", width: 28, height: 28 }),
         "INR companion"),
       h("nav", { attrs: { "aria-label": "Main" } },
         h("ul", {}, links.map(([href, text]) => h("li", {},
           h("a", { href, text, attrs: location.pathname === href ? { "aria-current": "page" } : {} }))))),
       h("div", { class: "who" },
         h("span", { text: `${user.full_name} (${words(user.role).toLowerCase()})` }),
         h("button", { type: "button", text: "Log out", on: { click: () => logOut() } })));
}

/** Show what went wrong in `node` (a role="alert" element), in the API's words when it gave some. */
export function showError(node, error, what = "") {
  if (error instanceof ApiProblem && error.status === 401) return;  // already on the way to the login page
  const detail = error instanceof ApiProblem ? error.message : "Something went wrong in this page.";
  node.textContent = what ? `${what}: ${detail}` : detail;
  node.hidden = false;
  if (!(error instanceof ApiProblem)) console.error(error);
}

/** The first element of `ids` that still exists (to put focus back after the page changed under it). */
export function focusKey(element) {
  return element && element.dataset ? element.dataset.focusKey || "" : "";
}

export function restoreFocus(key) {
  if (!key) return;
  const target = document.querySelector(`[data-focus-key="${CSS.escape(key)}"]`);
  if (target && document.activeElement !== target) target.focus({ preventScroll: true });
}

/** The patient id a dashboard page names in its address (after "#": never sent to the server, never logged). */
export function patientIdFromHash() {
  const id = decodeURIComponent(location.hash.replace(/^#/, ""));
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id) ? id : "";
}
