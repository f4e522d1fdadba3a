// The patient page: figures at a glance with TTR over a chosen period, the INR chart, open alerts, the
// instructions in force and who acknowledged them, earlier reviews, training and clearance, every result.

import { api, signedIn } from "./api.js";
import { chartLegend, inrChart, isValidInr, whyNotValid } from "./chart.js";
import {
  badge, byId, doseTable, fill, formatDate, formatInstant, formatLocal, h, patientIdFromHash, percent, showError, siteHeader,
  today, waited, words,
} from "./ui.js";

const me = (await signedIn(["physician", "admin"])).user;
siteHeader(me);

const patientId = patientIdFromHash();
const pageError = byId("page-error");
const FLASH_KEY = "inr.flash";

function figure(term, value, note) {
  return h("div", {}, h("dt", { text: term }), h("dd", {}, value, note ? h("small", { text: note }) : null));
}

function showFigures(summary, progress, decisions) {
  const latest = summary.latest;
  const ttr = summary.ttr;
  const adherence = summary.adherence;
  fill(byId("figures"),
       figure("Latest INR", latest ? h("span", {}, `${latest.reading} `, isValidInr(latest)
         ? badge(latest.flag.level) : badge("invalid", "Not valid")) : "No results",
              latest ? formatInstant(latest.measured_at) : ""),
       figure("Next test due", summary.next_test_due ? formatDate(summary.next_test_due) : "—"),
       figure("Time in therapeutic range", h("span", { id: "ttr-value", text: percent(ttr.percent) }),
              `${formatDate(summary.window_start.slice(0, 10))} – ${formatDate(summary.window_end.slice(0, 10))}; ` +
              `${ttr.days_total.toFixed(1)} days interpolated`),
       figure("Adherence", adherence.percent === null ? "—" : percent(adherence.percent),
              adherence.since ? `${adherence.weeks_tested} of ${adherence.weeks_expected} weeks tested since ` +
                                `${formatDate(adherence.since)}` : "No weeks expected yet"),
       figure("Open alerts", String(summary.open_alerts)),
       figure("Training", progress.competent ? badge("competent") : badge("not_started", "In training"),
              progress.competent ? `since ${formatDate(progress.competent_on)}`
                                 : `${progress.done.length} of ${progress.items.length} items done`),
       figure("Home testing", badge(decisions.status)));
}

function alertRow(alert) {
  const cells = [
    h("td", {}, badge(alert.severity)),
    h("td", { text: alert.reading ? `${alert.reading} (${words(alert.level).toLowerCase()})` : words(alert.kind) }),
    h("td", { text: formatInstant(alert.measured_at || alert.opened_at) }),
    h("td", { text: waited(alert.opened_at) }),
    h("td", {}, badge(alert.status), alert.acknowledged_by ? ` by ${alert.acknowledged_by.full_name}` : "",
      alert.escalation_level ? h("span", {}, " ", badge("escalated", "Escalated")) : ""),
  ];
  const action = h("td");
  if (alert.status === "open") {
    action.append(h("button", { type: "button", text: "Acknowledge", on: { click: async (event) => {
      event.currentTarget.disabled = true;
      try {
        await api.post(`/alerts/${alert.id}/acknowledge`);
      } catch (error) {
        showError(pageError, error, "Not acknowledged");
      }
      await loadAlerts();
      byId("alerts-heading").focus();
    } } }));
  }
  return h("tr", {}, ...cells, action);
}

async function loadAlerts() {
  const page = await api.get("/alerts", { patient_id: patientId, status: ["open", "acknowledged"] });
  const box = byId("open-alerts");
  if (!page.items.length) {
    fill(box, h("p", { class: "empty", text: "No open alerts." }));
    return;
  }
  fill(box, h("div", { class: "table-wrap" }, h("table", {},
    h("caption", { class: "visually-hidden", text: "Alerts not yet resolved by a review" }),
    h("thead", {}, h("tr", {}, ...["Severity", "Reading", "Measured", "Waiting", "Status", "Action"].map(
      (text) => h("th", { text, attrs: { scope: "col" } })))),
    h("tbody", {}, ...page.items.map(alertRow)))));
}

function instructionBlock(review, acknowledgements) {
  return h("div", { class: "instructions" },
    h("p", {}, h("strong", { text: words(review.instruction_kind) }),
      review.hold_days ? ` for ${review.hold_days} day${review.hold_days === 1 ? "" : "s"}` : ""),
    review.dose_text ? h("p", { text: review.dose_text }) : null,
    review.weekly_doses ? doseTable(review.weekly_doses) : null,
    h("p", { text: `Next test: ${review.next_test_date ? formatDate(review.next_test_date) : "not set"}` }),
    h("p", { text: `Interpretation: ${review.interpretation}` }),
    h("p", { class: "hint", text: `Reviewed by ${review.physician.full_name}, ${formatLocal(review.reviewed_at)}` }),
    acknowledgements.length
      ? h("ul", { class: "acks", attrs: { "aria-label": "Acknowledged by" } }, ...acknowledgements.map((ack) =>
        h("li", {}, badge("acknowledged", "Acknowledged"),
          ` by ${ack.user.full_name} (${words(ack.role).toLowerCase()}), ${formatLocal(ack.acknowledged_at)}`)))
      : h("p", {}, badge("not_started", "Not acknowledged yet")));
}

async function loadInstructions() {
  const [inForce, history] = await Promise.all([
    api.get(`/patients/${patientId}/instructions`),
    api.get(`/patients/${patientId}/reviews`, { limit: 50 }),
  ]);
  fill(byId("instructions"), inForce.current ? instructionBlock(inForce.current, inForce.acknowledgements)
    : h("p", { class: "empty", text: "No instructions yet." }));
  const earlier = history.items.filter((review) => !review.in_force);
  byId("earlier-reviews").hidden = !earlier.length;
  fill(byId("review-history"), ...earlier.map((review) =>
    h("div", { class: "review-entry" }, instructionBlock(review, review.acknowledgements))));
}

function showTraining(progress, decisions, sessions) {
  const items = h("ul", { class: "items" }, ...progress.items.map((item) => h("li", {},
    badge(item.status), h("span", { class: "what" }, item.text,
      h("span", { class: "when", text: item.last_session_on
        ? `${words(item.last_outcome)} on ${formatDate(item.last_session_on)}` : "Not covered yet" })))));
  const decided = decisions.decisions.length ? decisions.decisions[decisions.decisions.length - 1] : null;
  fill(byId("training"),
       h("p", {}, badge(progress.competent ? "competent" : "not_started", progress.competent ? "Competent" : "In training"),
         ` ${sessions.length} signed session${sessions.length === 1 ? "" : "s"}; checklist version ${progress.template_version}. `,
         progress.next_session_on ? `Next session: ${formatDate(progress.next_session_on)}.` : "No session planned."),
       items,
       h("p", {}, badge(decisions.status), decided
         ? ` ${formatDate(decided.effective_on)}, by ${decided.decided_by.full_name}: ${decided.reason}` : ""));
}

function resultRow(result) {
  const why = whyNotValid(result);
  return h("tr", { dataset: { resultId: result.id } },
    h("td", { text: formatInstant(result.measured_at) }),
    h("td", { class: "number", text: result.reading }),
    h("td", {}, why ? badge("invalid", "Not a valid INR") : badge(result.flag.level)),
    h("td", { text: why || (result.corrects ? "Yes (a correction)" : "Yes") }),
    h("td", { text: (result.symptoms || []).map(words).join(", ") + (result.symptom_note ? ` — ${result.symptom_note}` : "") || "None" }),
    h("td", { text: `${words(result.tested_by)}${result.caregiver ? ` (${result.caregiver.full_name})` : ""}; ${words(result.source)}` }),
    h("td", {}, result.alert ? badge(result.alert.status === "resolved" ? "resolved" : result.alert.severity,
                                     `${words(result.alert.severity)}, ${words(result.alert.status).toLowerCase()}`)
      : "—"));
}

let training = null;
let clearance = null;

async function loadSummary(query) {
  const summary = await api.get(`/patients/${patientId}/summary`, query);
  showFigures(summary, training, clearance);
  return summary;
}

async function main() {
  if (!patientId) {
    pageError.textContent = "No patient is named in the address. Open a patient from the alert queue or the panel.";
    pageError.hidden = false;
    return;
  }
  byId("review-link").href = `/dashboard/review#${patientId}`;
  const flash = sessionStorage.getItem(FLASH_KEY);
  if (flash) {
    sessionStorage.removeItem(FLASH_KEY);
    byId("flash").textContent = flash;
    byId("flash").hidden = false;
  }
  const [patient, { items: ranges }, { items: results }, progress, decisions, { items: sessions }] =
    await Promise.all([
      api.get(`/patients/${patientId}`),
      api.get(`/patients/${patientId}/target-ranges`),
      api.get(`/patients/${patientId}/results`, { limit: 500 }),
      api.get(`/patients/${patientId}/training-progress`),
      api.get(`/patients/${patientId}/clearance`),
      api.get(`/patients/${patientId}/training-sessions`),
    ]);
  training = progress;
  clearance = decisions;
  document.title = `${patient.full_name} · INR companion`;
  byId("patient-name").textContent = patient.full_name;
  byId("patient-facts").textContent = `Born ${formatDate(patient.date_of_birth)} · target range ` +
    `${patient.target_range.low.toFixed(1)}–${patient.target_range.high.toFixed(1)} · physician ` +
    `${patient.physician.full_name} · ${patient.indications.join(", ")} · ${patient.time_zone}`;
  const summary = await loadSummary({});
  byId("period-from").value = summary.window_start.slice(0, 10);
  byId("period-to").value = today();
  fill(byId("chart"), inrChart({ results, ranges, critical: summary.critical, name: patient.full_name }));
  fill(byId("chart-legend"), ...chartLegend());
  fill(byId("results").tBodies[0], ...results.map(resultRow));
  showTraining(progress, decisions, sessions);
  await Promise.all([loadAlerts(), loadInstructions()]);
  document.body.dataset.loaded = "true";
}

byId("period-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const periodError = byId("period-error");
  periodError.hidden = true;
  try {
    await loadSummary({ from: byId("period-from").value, to: byId("period-to").value });
  } catch (error) {
    showError(periodError, error, "TTR not computed");
  }
});

for (const button of document.querySelectorAll(".quick-periods button")) {
  button.addEventListener("click", async () => {
    byId("period-error").hidden = true;
    byId("period-from").value = today(-Number(button.dataset.days));
    byId("period-to").value = today();
    try {
      await loadSummary({ window_days: button.dataset.days });
    } catch (error) {
      showError(byId("period-error"), error, "TTR not computed");
    }
  });
}

byId("alerts-heading").tabIndex = -1;
window.addEventListener("hashchange", () => location.reload());
main().catch((error) => showError(pageError, error, "The patient could not be shown"));
