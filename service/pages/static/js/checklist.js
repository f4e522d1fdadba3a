// The training checklist, for the patient or a caregiver (on a phone): the instructions in force with an
// "I have read this" button, progress on each item of the current checklist (the four skills 93792 pays for
// first), what was demonstrated and signed in each session, and the next planned session.

import { api, signedIn } from "./api.js";
import {
  badge, byId, doseTable, fill, formatDate, formatLocal, h, patientIdFromHash, showError, siteHeader, words,
} from "./ui.js";

const me = (await signedIn()).user;
siteHeader(me);

const pageError = byId("page-error");
const BILLED = "93792";

function instructionsView(inForce, patientId) {
  const review = inForce.current;
  if (!review) return [h("p", { class: "empty", text: "No instructions from your physician yet." })];
  const mine = inForce.acknowledgements.find((ack) => ack.user.id === me.id);
  const others = inForce.acknowledgements.filter((ack) => ack.user.id !== me.id);
  const confirm = h("div", { id: "acknowledgement" });
  const showConfirmed = (ack) => fill(confirm, h("p", {}, badge("acknowledged", "Read"),
    ` You confirmed you read these on ${formatLocal(ack.acknowledged_at)}.`));
  if (mine) {
    showConfirmed(mine);
  } else if (me.role === "patient" || me.role === "caregiver") {
    const button = h("button", { type: "button", class: "primary", text: "I have read this" });
    button.addEventListener("click", async () => {
      button.disabled = true;
      try {
        const ack = await api.post(`/patients/${patientId}/instructions/${review.id}/acknowledge`);
        showConfirmed(ack);
        confirm.querySelector("p").tabIndex = -1;
        confirm.querySelector("p").focus();
      } catch (error) {
        button.disabled = false;
        showError(pageError, error, "Not recorded");
      }
    });
    fill(confirm, button);
  }
  return [
    h("div", { class: "instructions" },
      h("p", {}, h("strong", { text: words(review.instruction_kind) }),
        review.hold_days ? ` for ${review.hold_days} day${review.hold_days === 1 ? "" : "s"}` : ""),
      review.dose_text ? h("p", { text: review.dose_text }) : null,
      review.weekly_doses ? doseTable(review.weekly_doses, { down: true }) : null,
      h("p", { text: `Next test: ${review.next_test_date ? formatDate(review.next_test_date) : "as usual, weekly"}` }),
      h("p", { text: `From your physician: ${review.interpretation}` }),
      h("p", { class: "hint", text: `${review.physician.full_name}, ${formatLocal(review.reviewed_at)}` })),
    confirm,
    others.length ? h("p", { class: "hint", text: `Also read by ${others.map((ack) => ack.user.full_name).join(", ")}.` }) : null,
  ];
}

function itemView(item) {
  const when = item.last_session_on
    ? `${words(item.last_outcome)} on ${formatDate(item.last_session_on)}` : "Not covered yet";
  return h("li", { dataset: { item: item.key } }, badge(item.status),
    h("span", { class: "what" }, item.text, h("span", { class: "when", text: when })));
}

function progressView(progress) {
  const skills = progress.items.filter((item) => item.category === BILLED);
  const rest = progress.items.filter((item) => item.category !== BILLED);
  const shown = skills.filter((item) => item.status === "done").length;
  return [
    h("p", {}, progress.competent
      ? h("span", {}, badge("competent"), ` Signed competent on ${formatDate(progress.competent_on)}.`)
      : h("span", {}, badge("not_started", "In training"), " Not signed competent yet.")),
    h("div", { class: "progress-line" },
      h("label", { attrs: { for: "skills-progress" }, text: `${shown} of ${skills.length} skills shown` }),
      h("progress", { id: "skills-progress", max: skills.length, value: shown })),
    h("p", { text: progress.next_session_on ? `Next session: ${formatDate(progress.next_session_on)}.`
                                             : "No training session is planned." }),
    h("h3", { text: "The skills for testing at home" }),
    h("ul", { class: "items" }, ...skills.map(itemView)),
    rest.length ? h("h3", { text: "Knowing your medicine" }) : null,
    rest.length ? h("ul", { class: "items" }, ...rest.map(itemView)) : null,
  ];
}

function sessionView(session) {
  const state = session.current;
  const trainee = session.trainee.kind === "caregiver" && session.trainee.caregiver
    ? `${session.trainee.caregiver.full_name} (caregiver)` : "the patient";
  const test = state.supervised_test;
  return h("article", { class: "session" },
    h("h3", { text: `${words(session.kind)}, ${formatDate(session.local_date)}` }),
    h("p", {}, badge(session.outcome), ` Trainee: ${trainee}. Trainer: ${session.trainer.full_name}. ` +
      `Signed by ${session.signed_by.full_name}, ${formatLocal(session.signed_at)}.`),
    h("ul", {}, ...state.items.filter((item) => item.outcome).map((item) =>
      h("li", { text: `${words(item.outcome)}: ${item.text}${item.note ? ` — ${item.note}` : ""}` }))),
    test ? h("p", { text: `Supervised test: the trainee's meter read ${test.trainee_inr}` +
      (test.clinic_inr === null ? "." : `, the clinic's ${test.clinic_inr}` +
        (test.agree ? " (they agree)." : " (they do not agree)."))}) : null,
    session.amendments.length ? h("p", { class: "hint", text: `Corrected ${session.amendments.length} time(s) after signing.` }) : null);
}

async function show(patientId) {
  pageError.hidden = true;
  const [inForce, progress, sessions] = await Promise.all([
    api.get(`/patients/${patientId}/instructions`),
    api.get(`/patients/${patientId}/training-progress`),
    api.get(`/patients/${patientId}/training-sessions`),
  ]);
  fill(byId("instructions"), ...instructionsView(inForce, patientId));
  fill(byId("progress"), ...progressView(progress));
  fill(byId("sessions"), ...(sessions.items.length ? [...sessions.items].reverse().map(sessionView)
    : [h("p", { class: "empty", text: "No training session signed yet." })]));
  document.body.dataset.loaded = "true";
}

async function main() {
  const account = await api.get("/me");
  const named = patientIdFromHash();
  const patients = account.patients || [];
  if (!named && !patients.length) {
    pageError.textContent = me.role === "patient" || me.role === "caregiver"
      ? "No patient is linked to your account yet. Ask the clinic."
      : "Open a patient's checklist with their id after # in the address.";
    pageError.hidden = false;
    return;
  }
  const select = byId("patient-choice");
  if (patients.length > 1) {
    fill(select, ...patients.map((p) => h("option", { value: p.id, text: p.full_name })));
    byId("patient-field").hidden = false;
    select.addEventListener("change", () => show(select.value).catch((error) => showError(pageError, error)));
  }
  const patientId = named || patients[0].id;
  const chosen = patients.find((p) => p.id === patientId);
  if (chosen) {
    select.value = patientId;
    byId("checklist-heading").textContent = me.role === "patient" ? "Your training checklist"
      : `Training checklist: ${chosen.full_name}`;
  }
  await show(patientId);
}

main().catch((error) => showError(pageError, error, "The checklist could not be shown"));
