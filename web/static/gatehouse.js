/**
 * gatehouse.js: a fetch wrapper for pages logged in to Gatehouse in browser
 * mode (delivery "cookie" or "jwt-cookie"). A plain ES module with no
 * dependencies; serve it as /gatehouse.js. Usage and design: docs/browser-js.md.
 *
 *   import { createClient } from "/gatehouse.js";
 *   const gh = createClient({ csrfToken });   // csrf_token from the login answer, optional
 *   gh.addEventListener("logged-out", () => location.assign("/login"));
 *   const res = await gh.fetch("/v1/me");
 *
 * createClient(options) returns a client (an EventTarget):
 *   options.base         prefix for csrfPath and refreshPath ("" = this origin)
 *   options.csrfToken    the CSRF token if the page already has it
 *   options.refreshPath  "/v1/token/refresh"
 *   options.csrfPath     "/v1/csrf"
 *   options.fetch, options.locks, options.BroadcastChannel
 *                        the browser's by default; injectable for tests
 *   options.electionMs   50, options.waitMs 10000: cross-tab timings
 *
 *   client.fetch(input, init)  like fetch, but credentials "include" by default;
 *       unsafe methods get X-CSRF-Token (fetched once from csrfPath, cached;
 *       refetched once on 403 csrf_failed, and the request retried once).
 *       On 401 token_expired: one refresh shared by every call in the page
 *       and every tab, then the request is retried once. A ReadableStream
 *       body cannot be replayed: the refresh still happens, the 401 is
 *       returned. A retried request that fails again is returned as is.
 *   client.refresh()  refresh now (or join a refresh in progress);
 *       resolves true when new cookies are set.
 *   client.close()    stop listening to other tabs.
 *   event "logged-out" (detail.error = the refresh's error code) when a
 *       refresh answers refresh_token_reused, invalid_refresh_token or
 *       session_expired, here or in another tab; once per failed refresh.
 *
 * Tokens stay in HttpOnly cookies: this module keeps nothing in browser
 * storage and never reads cookies.
 */

const UNSAFE = new Set(["POST", "PUT", "PATCH", "DELETE"]);
const LOGGED_OUT = new Set(["refresh_token_reused", "invalid_refresh_token", "session_expired"]);
const LOCK_NAME = "gatehouse-refresh";
const CHANNEL_NAME = "gatehouse";

export function createClient(options = {}) {
  return new GatehouseClient(options);
}

export class GatehouseClient extends EventTarget {
  #base; #refreshPath; #csrfPath; #fetch; #locks; #channel; #electionMs; #waitMs;
  #csrf;            // cached CSRF token, or undefined
  #csrfLoading;     // the pending CSRF load, shared
  #inflight;        // the pending refresh of this page, shared
  #last;            // the newest refresh result known here: {ok, at, error}
  #peer;            // another tab's announced, unfinished refresh: {at, rand}
  #waiters = new Set();

  constructor({
    base = "",
    csrfToken,
    refreshPath = "/v1/token/refresh",
    csrfPath = "/v1/csrf",
    fetch = globalThis.fetch,
    locks = globalThis.navigator?.locks,
    BroadcastChannel = globalThis.BroadcastChannel,
    electionMs = 50,
    waitMs = 10000,
  } = {}) {
    super();
    this.#base = base;
    this.#csrf = csrfToken || undefined;
    this.#refreshPath = refreshPath;
    this.#csrfPath = csrfPath;
    // Called as a plain function: a browser's fetch throws "Illegal
    // invocation" when called as a method of another object.
    this.#fetch = (input, init) => fetch(input, init);
    this.#locks = locks;
    this.#electionMs = electionMs;
    this.#waitMs = waitMs;
    if (BroadcastChannel) {
      this.#channel = new BroadcastChannel(CHANNEL_NAME);
      this.#channel.onmessage = (e) => this.#onMessage(e.data);
      this.#channel.unref?.(); // Node only: do not keep a process alive
    }
  }

  async fetch(input, init = {}) {
    const isRequest = typeof Request !== "undefined" && input instanceof Request;
    const method = (init.method ?? (isRequest ? input.method : "GET")).toUpperCase();
    const unsafe = UNSAFE.has(method);
    const replayable = !(typeof ReadableStream !== "undefined" && init.body instanceof ReadableStream);
    // Any refresh that finishes after this call began is the one this call
    // waits for: its CSRF load may already have refreshed, or failed to.
    const since = Date.now();
    const send = async (csrf) => {
      const headers = new Headers(init.headers ?? (isRequest ? input.headers : undefined));
      if (unsafe && csrf && !headers.has("X-CSRF-Token")) headers.set("X-CSRF-Token", csrf);
      // A Request's body can be read once: send copies, keep the original.
      return this.#fetch(isRequest ? input.clone() : input, {
        ...init,
        headers,
        credentials: init.credentials ?? "include",
      });
    };

    let csrf = unsafe ? await this.#csrfToken() : undefined;
    let res = await send(csrf);
    if (unsafe && replayable && res.status === 403 && (await errorCode(res)) === "csrf_failed") {
      const fresh = await this.#csrfToken(csrf);
      if (fresh && fresh !== csrf) res = await send((csrf = fresh));
    }
    if (res.status === 401 && (await errorCode(res)) === "token_expired") {
      const refreshed = await this.#refreshShared(since);
      if (refreshed.ok && replayable) res = await send(unsafe ? await this.#csrfToken() : undefined);
    }
    return res;
  }

  async refresh() {
    return (await this.#refreshShared(Date.now())).ok;
  }

  close() {
    this.#channel?.close();
    this.#channel = undefined;
  }

  // The CSRF token, loaded once and cached. stale names a token the server
  // refused: it is reloaded instead of returned again.
  async #csrfToken(stale) {
    if (this.#csrf && this.#csrf !== stale) return this.#csrf;
    this.#csrfLoading ??= this.#loadCsrf(true).finally(() => { this.#csrfLoading = undefined; });
    return this.#csrfLoading;
  }

  // viaClient loads through this.fetch, so an expired access cookie is
  // refreshed first; the refresh itself loads with the plain fetch, since it
  // cannot wait for itself.
  async #loadCsrf(viaClient) {
    try {
      const url = this.#base + this.#csrfPath;
      const res = viaClient ? await this.fetch(url) : await this.#fetch(url, { credentials: "include" });
      if (!res.ok) return undefined;
      const token = (await res.json())?.csrf_token;
      if (typeof token === "string" && token) this.#csrf = token;
      return this.#csrf;
    } catch {
      return undefined;
    }
  }

  // One refresh per page: callers whose request was sent before a refresh
  // finished (here or in another tab) take that result instead of starting
  // another one. Strictly before: a request that left in the millisecond a
  // refresh finished may have carried the old cookie, and a second
  // refresh is harmless (the server's reuse grace window) where a lost
  // request is not.
  #refreshShared(since) {
    if (this.#last && this.#last.at > since) return Promise.resolve(this.#last);
    this.#inflight ??= this.#refreshAcrossTabs(since).finally(() => { this.#inflight = undefined; });
    return this.#inflight;
  }

  async #refreshAcrossTabs(since) {
    if (this.#locks) {
      return this.#locks.request(LOCK_NAME, async () => {
        // The previous holder announced "refreshing" before its network round
        // trip; its result message may still be on the way.
        if (this.#peer) await this.#waitForResult();
        if (this.#last && this.#last.at > since) return this.#last;
        return this.#refreshHere(true);
      });
    }
    if (this.#channel) return this.#elect(since);
    return this.#refreshHere(false);
  }

  // Without Web Locks: announce, wait electionMs for rival announcements, and
  // let the earliest announcement refresh while the others wait for its
  // result (or waitMs, in case that tab was closed).
  async #elect(since) {
    for (let round = 0; round < 3; round++) {
      if (this.#last && this.#last.at > since) return this.#last;
      if (this.#peer) {
        if (!(await this.#waitForResult())) this.#peer = undefined;
        continue;
      }
      const me = { at: Date.now(), rand: Math.random() };
      this.#post({ type: "refreshing", ...me });
      await sleep(this.#electionMs);
      if (this.#last && this.#last.at > since) return this.#last;
      if (this.#peer && earlier(this.#peer, me)) continue;
      return this.#refreshHere(false);
    }
    return this.#refreshHere(true);
  }

  async #refreshHere(announce) {
    if (announce) this.#post({ type: "refreshing", at: Date.now(), rand: Math.random() });
    const result = await this.#refreshRequest();
    this.#post({ type: result.ok ? "refreshed" : "failed", at: result.at, error: result.error });
    this.#settle(result);
    return result;
  }

  async #refreshRequest() {
    const headers = { "Content-Type": "application/json" };
    const csrf = this.#csrf ?? (await this.#loadCsrf(false));
    if (csrf) headers["X-CSRF-Token"] = csrf;
    let res;
    try {
      res = await this.#fetch(this.#base + this.#refreshPath, {
        method: "POST", credentials: "include", headers, body: "{}",
      });
    } catch {
      return { ok: false, at: Date.now(), error: null };
    }
    const at = Date.now();
    if (!res.ok) return { ok: false, at, error: await errorCode(res) };
    try {
      const token = (await res.json())?.csrf_token;
      if (typeof token === "string" && token) this.#csrf = token;
    } catch { /* an empty answer is fine */ }
    return { ok: true, at };
  }

  #onMessage(m) {
    if (!m || typeof m !== "object" || typeof m.at !== "number") return;
    if (m.type === "refreshing") {
      // A losing candidate's announcement may arrive after the winner's
      // result; it announces nothing then.
      if (this.#last && m.at <= this.#last.at) return;
      if (!this.#peer || earlier(m, this.#peer)) this.#peer = { at: m.at, rand: m.rand };
    } else if (m.type === "refreshed" || m.type === "failed") {
      this.#settle({ ok: m.type === "refreshed", at: m.at, error: m.error ?? null });
    }
  }

  // Records a refresh result from this tab or another, wakes the waiters and
  // tells the page when the session is gone.
  #settle(result) {
    if (!this.#last || result.at >= this.#last.at) this.#last = result;
    this.#peer = undefined;
    for (const wake of this.#waiters) wake(true);
    this.#waiters.clear();
    if (!result.ok && LOGGED_OUT.has(result.error)) {
      const detail = { error: result.error };
      this.dispatchEvent(typeof CustomEvent === "function"
        ? new CustomEvent("logged-out", { detail })
        : Object.assign(new Event("logged-out"), { detail }));
    }
  }

  // Resolves true when a result arrives, false after waitMs.
  #waitForResult() {
    return new Promise((resolve) => {
      const timer = setTimeout(() => { this.#waiters.delete(wake); resolve(false); }, this.#waitMs);
      const wake = (v) => { clearTimeout(timer); resolve(v); };
      this.#waiters.add(wake);
    });
  }

  #post(message) {
    try { this.#channel?.postMessage(message); } catch { /* closed */ }
  }
}

async function errorCode(res) {
  if (!(res.headers.get("Content-Type") ?? "").includes("json")) return null;
  try {
    const body = await res.clone().json();
    return typeof body?.error === "string" ? body.error : null;
  } catch {
    return null;
  }
}

function earlier(a, b) {
  return a.at < b.at || (a.at === b.at && a.rand < b.rand);
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
