// The one module that talks to the API: the bearer token (kept in sessionStorage, never elsewhere), every error
// as the problem document the API answers with, and a 401 sends the user back to log in with a clear message.

const SESSION_KEY = "inr.session";
const MESSAGE_KEY = "inr.login-message";
const LOGIN_PAGE = "/login/";

export const LOGIN_MESSAGES = {
  expired: "Your session has expired. Please log in again.",
  "logged-out": "You have logged out.",
};

/** An answer that was not a success: `status`, the problem's `title` and `detail`, and `errors` per field. */
export class ApiProblem extends Error {
  constructor(status, problem) {
    super(problem.detail || problem.title || `The server answered ${status}.`);
    this.name = "ApiProblem";
    this.status = status;
    this.title = problem.title || "";
    this.errors = problem.errors || {};
    this.requestId = problem.request_id || "";
  }
}

/** The logged-in user's session ({token, expires_at, user}), or null. */
export function session() {
  try {
    const stored = JSON.parse(sessionStorage.getItem(SESSION_KEY));
    return stored && stored.token && stored.user ? stored : null;
  } catch {
    return null;
  }
}

function expired(stored) {
  return Date.parse(stored.expires_at) <= Date.now();
}

/** Forget the token; `reason` ("expired", "logged-out") is what the login page will say. */
export function endSession(reason) {
  sessionStorage.removeItem(SESSION_KEY);
  if (reason) sessionStorage.setItem(MESSAGE_KEY, reason);
}

/** What the login page should say once, if anything (and forget it): {reason, text}. */
export function takeLoginMessage() {
  const reason = sessionStorage.getItem(MESSAGE_KEY);
  sessionStorage.removeItem(MESSAGE_KEY);
  return { reason, text: LOGIN_MESSAGES[reason] || "" };
}

/** Where a page may send the user back to after logging in: only this site's own pages. */
export function safeNext(value) {
  return typeof value === "string" && /^\/(dashboard|checklist)\/[A-Za-z0-9/#=&._-]*$/.test(value) ? value : "";
}

function toLogin(reason) {
  endSession(reason);
  const next = encodeURIComponent(location.pathname + location.hash);
  location.assign(`${LOGIN_PAGE}?next=${next}`);
}

/** The session of a logged-in user whose role is one of `roles` (any role when none are named). Otherwise the
 *  browser is sent to the login page (or the role's own page) and the promise never settles, so a screen's module
 *  that awaits it stops there, quietly. */
export function signedIn(roles) {
  const stored = session();
  if (!stored || expired(stored)) {
    toLogin(stored ? "expired" : "");
    return new Promise(() => {});
  }
  if (roles && !roles.includes(stored.user.role)) {
    location.assign(homeOf(stored.user.role) || LOGIN_PAGE);
    return new Promise(() => {});
  }
  return Promise.resolve(stored);
}

/** The page each role starts on (null: no page for this role yet). */
export function homeOf(role) {
  if (role === "physician" || role === "admin") return "/dashboard/";
  if (role === "patient" || role === "caregiver") return "/checklist/";
  return null;
}

async function request(method, path, { query, body, anonymous = false, leaving = false } = {}) {
  const url = new URL(path, location.origin);
  if (url.origin !== location.origin) throw new Error("The pages talk to their own server only.");
  for (const [name, value] of Object.entries(query || {})) {
    for (const item of Array.isArray(value) ? value : [value]) {
      if (item !== undefined && item !== null && item !== "") url.searchParams.append(name, String(item));
    }
  }
  const headers = { Accept: "application/json" };
  if (!anonymous) {
    const stored = session();
    if (!stored) {
      toLogin("expired");
      throw new ApiProblem(401, { title: "Unauthorized", detail: LOGIN_MESSAGES.expired });
    }
    headers.Authorization = `Bearer ${stored.token}`;
  }
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(url, {
      method, headers, body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "omit", cache: "no-store", redirect: "error",
    });
  } catch {
    throw new ApiProblem(0, { title: "Network error",
                              detail: "The server could not be reached. Check the connection and try again." });
  }
  if (response.status === 401 && !anonymous && !leaving) {
    toLogin("expired");
    throw new ApiProblem(401, { title: "Unauthorized", detail: LOGIN_MESSAGES.expired });
  }
  if (response.status === 204) return null;
  const type = response.headers.get("Content-Type") || "";
  const document = type.includes("json") ? await response.json().catch(() => null) : null;
  if (!response.ok) throw new ApiProblem(response.status, document || { title: response.statusText });
  return document;
}

export const api = {
  get: (path, query) => request("GET", path, { query }),
  post: (path, body) => request("POST", path, { body }),
};

/** Exchange e-mail and password for a token, kept for this browser tab only. */
export async function logIn(email, password) {
  const login = await request("POST", "/auth/login", { body: { email, password }, anonymous: true });
  sessionStorage.setItem(SESSION_KEY, JSON.stringify({
    token: login.token, expires_at: login.expires_at,
    user: { id: login.user.id, full_name: login.user.full_name, role: login.user.role },
  }));
  return login.user;
}

/** Revoke the token, forget it, and go to the login page. */
export async function logOut() {
  try {
    await request("POST", "/auth/logout", { leaving: true });
  } catch {
    // The token is forgotten either way.
  }
  endSession("logged-out");
  location.assign(LOGIN_PAGE);
}
