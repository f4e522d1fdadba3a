// The review form: interpret results, instruct (keep, new weekly dose table, hold, emergency), set the next test;
// on success the reviewed results' alerts resolve and the patient's instructions change.

import { api, ApiProblem, signedIn } from "./api.js";
import { whyNotValid } from "./chart.js";
import {
  badge, byId, DAYS, fill, formatDate, formatInstant, h, patientIdFromHash, showError, siteHeader, today, words,
} from "./ui.js";

const me = (await signedIn(["physician", "admin"])).user;
siteHeader(me);

const patientId = patientIdFromHash();
const form = byId("review-form");
const pageError = byId("page-error");
const FLASH_KEY = "inr.flash";
const FIELDS = ["result_ids", "interpretation", "instruction_kind", "weekly_doses", "dose_text", "hold_days",
                "next_test_date"];
const ERROR_TARGETS = { result_ids: "results", weekly_doses: "weekly_doses" };

function doseInputs(current) {
  fill(byId("dose-days"), ...DAYS.map((day) => h("th", { attrs: { scope: "col" } },
    h("label", { attrs: { for: `dose-${day}` }, text: words(day) }))));
  fill(byId("dose-inputs"), ...DAYS.map((day) => h("td", {}, h("input", {
    id: `dose-${day}`, name: `dose-${day}`, type: "number", min: "0", max: "50", step: "0.25", inputMode: "decimal",
    value: current && current[day] !== undefined ? String(current[day]) : "",
    attrs: { "aria-describedby": "weekly_doses-error" },
  }))));
  updateTotal();
}

function updateTotal() {
  const values = DAYS.map((day) => byId(`dose-${day}`).value);
  byId("weekly-total").textContent = values.every((value) => value !== "")
    ? `${values.reduce((sum, value) => sum + Number(value), 0).toLocaleString()} mg` : "—";
}

function choice(result, checked, reason) {
  const why = whyNotValid(result);
  return h("label", {},
    h("input", { type: "checkbox", name: "result_ids", value: result.id, checked }),
    h("span", {}, `${formatInstant(result.measured_at)} — INR ${result.reading} `,
      why ? badge("invalid", `Not a valid INR: ${why}`) : badge(result.flag.level),
      reason ? h("span", { class: "hint", text: ` ${reason}` }) : ""));
}

function kind() {
  return new FormData(form).get("instruction_kind");
}

function showKindFields() {
  byId("hold-field").hidden = kind() !== "hold_doses";
}

function clearErrors() {
  byId("error-summary").hidden = true;
  for (const field of FIELDS) {
    const target = byId(`${ERROR_TARGETS[field] || field}-error`);
    if (target) target.hidden = true;
  }
  for (const element of form.querySelectorAll("[aria-invalid]")) element.removeAttribute("aria-invalid");
}

function flatten(errors, prefix = "") {
  // {"weekly_doses": {"monday": ["..."]}} -> [["weekly_doses", "monday: ..."]]
  const out = [];
  for (const [key, value] of Object.entries(errors)) {
    if (Array.isArray(value)) out.push([prefix || key, `${prefix ? `${words(key)}: ` : ""}${value.join(" ")}`]);
    else out.push(...flatten(value, prefix || key));
  }
  return out;
}

function showErrors(errors, detail) {
  const list = byId("error-list");
  fill(list);
  for (const [field, message] of flatten(errors)) {
    const target = byId(`${ERROR_TARGETS[field] || field}-error`);
    const anchor = field === "result_ids" ? "results-field" : field === "weekly_doses" ? "dose-field"
      : field === "instruction_kind" ? "kind-field" : field;
    if (target) {
      target.textContent = message;
      target.hidden = false;
    }
    const input = byId(anchor);
    if (input) input.setAttribute("aria-invalid", "true");
    list.append(h("li", {}, h("a", { href: `#${anchor}`, text: `${label(field)}: ${message}` })));
  }
  if (!list.children.length) list.append(h("li", { text: detail }));
  byId("error-summary").hidden = false;
  byId("error-summary").focus();
}

function label(field) {
  return { result_ids: "Results", interpretation: "Interpretation", instruction_kind: "Instruction",
           weekly_doses: "Weekly dose", dose_text: "Dose in words", hold_days: "Days to hold",
           next_test_date: "Next test", _schema: "Review" }[field] || words(field);
}

function body() {
  const data = new FormData(form);
  const errors = {};
  const review = {
    result_ids: data.getAll("result_ids"),
    interpretation: data.get("interpretation").trim(),
    instruction_kind: kind(),
  };
  if (!review.result_ids.length) errors.result_ids = ["Choose at least one result."];
  if (!review.interpretation) errors.interpretation = ["Write what the results mean."];
  const doses = DAYS.map((day) => byId(`dose-${day}`).value.trim());
  if (review.instruction_kind === "new_dose" && doses.some((value) => value !== "")) {
    if (doses.some((value) => value === "" || !Number.isFinite(Number(value)))) {
      errors.weekly_doses = ["Enter a dose for every day (0 for none)."];
    } else {
      review.weekly_doses = Object.fromEntries(DAYS.map((day, i) => [day, Number(doses[i])]));
    }
  }
  const text = data.get("dose_text").trim();
  if (text) review.dose_text = text;
  if (review.instruction_kind === "new_dose" && !review.weekly_doses && !text && !errors.weekly_doses) {
    errors.weekly_doses = ["A new dose needs the weekly table or the dose in words."];
  }
  if (review.instruction_kind === "hold_doses") {
    const days = data.get("hold_days");
    if (!/^\d+$/.test(days || "")) errors.hold_days = ["Say how many days to hold (1 to 14)."];
    else review.hold_days = Number(days);
  }
  const next = data.get("next_test_date");
  if (next) review.next_test_date = next;
  return { review, errors };
}

async function main() {
  if (!patientId) {
    pageError.textContent = "No patient is named in the address. Open a patient from the alert queue or the panel.";
    pageError.hidden = false;
    form.hidden = true;
    return;
  }
  byId("back-link").href = `/dashboard/patient#${patientId}`;
  const [patient, { items: results }, alerts, inForce, history] = await Promise.all([
    api.get(`/patients/${patientId}`),
    api.get(`/patients/${patientId}/results`, { limit: 100 }),
    api.get("/alerts", { patient_id: patientId, status: ["open", "acknowledged"] }),
    api.get(`/patients/${patientId}/instructions`),
    api.get(`/patients/${patientId}/reviews`, { limit: 1 }),
  ]);
  document.title = `Review: ${patient.full_name} · INR companion`;
  byId("review-heading").textContent = `Review results: ${patient.full_name}`;
  byId("back-link").textContent = `Back to ${patient.full_name}`;
  const lastReviewed = history.items.length ? Date.parse(history.items[0].reviewed_at) : 0;
  const alerted = new Set(alerts.items.map((alert) => alert.result_id));
  const offered = results.filter((result) => alerted.has(result.id) || Date.parse(result.received_at) > lastReviewed);
  const shown = offered.length ? offered : results.slice(0, 5);
  fill(byId("result-choices"), ...shown.map((result) => choice(result, alerted.has(result.id) || !alerted.size,
    alerted.has(result.id) ? "(alert not yet resolved)" : "")));
  if (!shown.length) fill(byId("result-choices"), h("p", { class: "empty", text: "No results to review." }));
  doseInputs(inForce.current && inForce.current.weekly_doses);
  byId("next_test_date").min = today();
  document.body.dataset.loaded = "true";
}

form.addEventListener("input", (event) => {
  if (event.target.id && event.target.id.startsWith("dose-")) updateTotal();
});
form.addEventListener("change", showKindFields);
form.addEventListener("submit", async (event) => {
  event.preventDefault();
  clearErrors();
  const { review, errors } = body();
  if (Object.keys(errors).length) {
    showErrors(errors, "Check the form.");
    return;
  }
  const button = form.querySelector("button[type=submit]");
  button.disabled = true;
  try {
    const saved = await api.post(`/patients/${patientId}/reviews`, review);
    sessionStorage.setItem(FLASH_KEY, `Review saved: ${words(saved.instruction_kind).toLowerCase()}` +
      (saved.next_test_date ? `, next test ${formatDate(saved.next_test_date)}` : "") +
      ". The reviewed results' alerts are resolved.");
    location.assign(`/dashboard/patient#${patientId}`);
  } catch (error) {
    if (error instanceof ApiProblem && error.status === 422) showErrors(error.errors, error.message);
    else showError(pageError, error, "The review was not saved");
    button.disabled = false;
  }
});

showKindFields();
main().catch((error) => showError(pageError, error, "The review form could not be prepared"));
