// The login screen: e-mail and password for a bearer token; then each role goes on to its page.

import { ApiProblem, homeOf, logIn, safeNext, takeLoginMessage } from "./api.js";
import { byId } from "./ui.js";

const form = byId("login-form");
const failure = byId("login-error");
const message = takeLoginMessage();
if (message.text) {
  byId("login-message").textContent = message.text;
  byId("login-message").classList.toggle("warning", message.reason === "expired");
  byId("login-message").hidden = false;
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  failure.hidden = true;
  const email = byId("email").value.trim();
  const password = byId("password").value;
  if (!email || !password) {
    failure.textContent = "Enter your e-mail and your password.";
    failure.hidden = false;
    (email ? byId("password") : byId("email")).focus();
    return;
  }
  const button = form.querySelector("button[type=submit]");
  button.disabled = true;
  try {
    const user = await logIn(email, password);
    const home = homeOf(user.role);
    if (!home) {
      failure.textContent = `There is no page for the ${user.role} role yet: please use the API.`;
      failure.hidden = false;
      return;
    }
    const next = safeNext(new URLSearchParams(location.search).get("next"));
    location.assign(next && next.startsWith(home === "/checklist/" ? "/checklist/" : "/dashboard/") ? next : home);
  } catch (error) {
    failure.textContent = error instanceof ApiProblem
      ? (error.status === 429 ? "Too many attempts. Wait a minute, then try again." : error.message)
      : "Logging in failed in this page.";
    failure.hidden = false;
    byId("password").select();
  } finally {
    button.disabled = false;
  }
});
