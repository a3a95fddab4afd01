// Tests for gatehouse.js, run by Node's own runner: node --test web/static/
// (go test ./web/static runs them too). No npm packages.
//
// "Tabs" are several clients in one process: they share one fake server
// (the browser's cookie jar, as far as the client can tell), a fake Web
// Locks mutex and Node's real BroadcastChannel, which delivers between
// instances of one process like a browser does between tabs.

import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { createClient } from "./gatehouse.js";

const BASE = "http://gatehouse.test";
const UNSAFE = new Set(["POST", "PUT", "PATCH", "DELETE"]);

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function json(status, body) {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
}

// A Gatehouse stand-in in jwt-cookie mode. expired: the access cookie is
// past exp until a refresh succeeds. Every answer takes delay ms, the
// network round trip the cross-tab design counts on.
function fakeServer({ delay = 5, expired = true, refreshError = null, staysExpired = false, csrf = "csrf-1" } = {}) {
  const s = { expired, refreshError, csrf, refreshes: 0, csrfLoads: 0, requests: [] };
  s.fetch = async (input, init = {}) => {
    const req = new Request(input, init);
    const path = new URL(req.url).pathname;
    const body = await req.text();
    s.requests.push({ method: req.method, path, csrf: req.headers.get("X-CSRF-Token"), body, credentials: req.credentials });
    await sleep(delay);
    if (path === "/v1/token/refresh") {
      s.refreshes++;
      if (s.refreshError) return json(401, { error: s.refreshError, message: "no" });
      if (!staysExpired) s.expired = false;
      return json(200, { session_id: "s1", device_id: "d1", csrf_token: s.csrf });
    }
    if (s.expired) return json(401, { error: "token_expired", message: "access token expired" });
    if (path === "/v1/csrf") {
      s.csrfLoads++;
      return json(200, { csrf_token: s.csrf });
    }
    if (UNSAFE.has(req.method) && req.headers.get("X-CSRF-Token") !== s.csrf) {
      return json(403, { error: "csrf_failed", message: "bad CSRF token" });
    }
    return json(200, { path, method: req.method, body });
  };
  s.hits = (path) => s.requests.filter((r) => r.path === path);
  return s;
}

// Web Locks stand-in: one FIFO mutex per name, shared by the tabs given it.
function fakeLocks() {
  const tails = new Map();
  let requests = 0;
  return {
    get requests() { return requests; },
    async request(name, callback) {
      requests++;
      const prev = tails.get(name) ?? Promise.resolve();
      let release;
      const mine = new Promise((r) => { release = r; });
      tails.set(name, prev.then(() => mine));
      await prev;
      try {
        return await callback({ name, mode: "exclusive" });
      } finally {
        release();
      }
    },
  };
}

// tabs opens n clients on one server and closes them when the test ends.
function tabs(t, n, server, options = {}) {
  const list = Array.from({ length: n }, () => createClient({ base: BASE, fetch: server.fetch, ...options }));
  t.after(() => list.forEach((c) => c.close()));
  return list;
}

function countLoggedOut(client) {
  const events = [];
  client.addEventListener("logged-out", (e) => events.push(e.detail?.error));
  return events;
}

test("BroadcastChannel delivers between instances of one process", async () => {
  const a = new BroadcastChannel("gatehouse-probe");
  const b = new BroadcastChannel("gatehouse-probe");
  try {
    const got = new Promise((r) => { b.onmessage = (e) => r(e.data); });
    a.postMessage({ hello: 1 });
    assert.deepEqual(await got, { hello: 1 });
  } finally {
    a.close();
    b.close();
  }
});

test("concurrent calls in one page share one refresh and are all retried", async (t) => {
  const server = fakeServer();
  const [client] = tabs(t, 1, server, { locks: undefined, BroadcastChannel: undefined });
  const responses = await Promise.all(Array.from({ length: 8 }, (_, i) => client.fetch(`${BASE}/r/${i}`)));
  assert.equal(server.refreshes, 1);
  for (const [i, res] of responses.entries()) {
    assert.equal(res.status, 200);
    assert.equal(server.hits(`/r/${i}`).length, 2, "sent, then retried once");
  }
});

for (const [name, options] of [
  ["Web Locks and BroadcastChannel", () => ({ locks: fakeLocks() })],
  ["BroadcastChannel only (leader election)", () => ({ locks: undefined })],
]) {
  test(`two tabs refreshing at once: exactly one refresh (${name})`, async (t) => {
    const server = fakeServer();
    const shared = options();
    const [a, b, c] = tabs(t, 3, server, { ...shared, electionMs: 20 });
    const responses = await Promise.all([a, b, c, a, b, c].map((tab, i) => tab.fetch(`${BASE}/r/${i}`)));
    assert.equal(server.refreshes, 1);
    responses.forEach((res) => assert.equal(res.status, 200));
    if (shared.locks) assert.equal(shared.locks.requests, 3, "one lock request per tab, not per call");
  });

  test(`a tab whose 401 comes after another tab refreshed does not refresh (${name})`, async (t) => {
    const server = fakeServer();
    const [a, b] = tabs(t, 2, server, { ...options(), electionMs: 20 });
    // b's request is sent before a's refresh and answered after it.
    const slow = b.fetch(`${BASE}/slow`);
    assert.equal((await a.fetch(`${BASE}/fast`)).status, 200);
    assert.equal((await slow).status, 200);
    assert.equal(server.refreshes, 1);
  });
}

test("without locks, a waiting tab refreshes itself when the announcing tab goes silent", async (t) => {
  const server = fakeServer();
  const [client] = tabs(t, 1, server, { locks: undefined, electionMs: 20, waitMs: 100 });
  const ghost = new BroadcastChannel("gatehouse");
  t.after(() => ghost.close());
  ghost.postMessage({ type: "refreshing", at: Date.now() - 1, rand: 0 }); // then the tab closes
  await sleep(10);
  const res = await client.fetch(`${BASE}/r`);
  assert.equal(res.status, 200);
  assert.equal(server.refreshes, 1);
});

test("an announcement older than the last result is not waited for", async (t) => {
  const server = fakeServer();
  const [client] = tabs(t, 1, server, { locks: undefined, electionMs: 20, waitMs: 2000 });
  const ghost = new BroadcastChannel("gatehouse");
  t.after(() => ghost.close());
  const at = Date.now() - 50;
  ghost.postMessage({ type: "refreshed", at });
  ghost.postMessage({ type: "refreshing", at: at - 1, rand: 0 }); // a late loser
  await sleep(10);
  const started = Date.now();
  assert.equal((await client.fetch(`${BASE}/r`)).status, 200);
  assert.ok(Date.now() - started < 1000, "did not wait for a refresh that is over");
  assert.equal(server.refreshes, 1);
});

for (const code of ["refresh_token_reused", "invalid_refresh_token", "session_expired"]) {
  test(`refresh answering ${code}: logged-out once, original 401 returned, no loop`, async (t) => {
    const server = fakeServer({ refreshError: code });
    const [client] = tabs(t, 1, server, { locks: fakeLocks() });
    const events = countLoggedOut(client);
    const responses = await Promise.all([1, 2, 3].map((i) => client.fetch(`${BASE}/r/${i}`)));
    for (const res of responses) {
      assert.equal(res.status, 401);
      assert.equal((await res.json()).error, "token_expired", "the original answer, body still readable");
    }
    assert.equal(server.refreshes, 1);
    assert.deepEqual(events, [code]);
    [1, 2, 3].forEach((i) => assert.equal(server.hits(`/r/${i}`).length, 1, "not retried"));
  });
}

test("a logged-out refresh in one tab is announced to the others, which do not refresh", async (t) => {
  const server = fakeServer({ refreshError: "refresh_token_reused" });
  const locks = fakeLocks();
  const [a, b] = tabs(t, 2, server, { locks });
  const eventsA = countLoggedOut(a);
  const eventsB = countLoggedOut(b);
  const [ra, rb] = await Promise.all([a.fetch(`${BASE}/a`), b.fetch(`${BASE}/b`)]);
  assert.equal(ra.status, 401);
  assert.equal(rb.status, 401);
  assert.equal(server.refreshes, 1);
  assert.deepEqual(eventsA, ["refresh_token_reused"]);
  assert.deepEqual(eventsB, ["refresh_token_reused"]);
});

test("a retried request that gets 401 again is returned as is", async (t) => {
  const server = fakeServer({ staysExpired: true });
  const [client] = tabs(t, 1, server, { BroadcastChannel: undefined });
  const res = await client.fetch(`${BASE}/r`);
  assert.equal(res.status, 401);
  assert.equal(server.refreshes, 1);
  assert.equal(server.hits("/r").length, 2);
});

test("fetch is not called as a method of the client (browsers throw Illegal invocation)", async (t) => {
  const server = fakeServer();
  const strict = function (input, init) {
    if (this !== undefined && this !== globalThis) throw new TypeError("Illegal invocation");
    return server.fetch(input, init);
  };
  const [client] = tabs(t, 1, server, { fetch: strict, BroadcastChannel: undefined });
  assert.equal((await client.fetch(`${BASE}/r`, { method: "POST", body: "{}" })).status, 200);
  assert.equal(server.refreshes, 1);
});

test("X-CSRF-Token on unsafe methods only, loaded once and cached", async (t) => {
  const server = fakeServer({ expired: false });
  const [client] = tabs(t, 1, server, { BroadcastChannel: undefined });
  for (const method of ["GET", "HEAD", "OPTIONS", "POST", "put", "PATCH", "DELETE", "POST"]) {
    const res = await client.fetch(`${BASE}/r`, { method, body: ["GET", "HEAD"].includes(method) ? undefined : "x" });
    assert.equal(res.status, 200, method);
  }
  const sent = server.hits("/r").map((r) => [r.method, r.csrf]);
  assert.deepEqual(sent, [
    ["GET", null], ["HEAD", null], ["OPTIONS", null], ["POST", "csrf-1"],
    ["PUT", "csrf-1"], ["PATCH", "csrf-1"], ["DELETE", "csrf-1"], ["POST", "csrf-1"],
  ]);
  assert.equal(server.csrfLoads, 1);
  server.requests.forEach((r) => assert.equal(r.credentials, "include"));
});

test("a csrfToken given to createClient is used without loading", async (t) => {
  const server = fakeServer({ expired: false, csrf: "from-login" });
  const [client] = tabs(t, 1, server, { BroadcastChannel: undefined, csrfToken: "from-login" });
  assert.equal((await client.fetch(`${BASE}/r`, { method: "POST", body: "{}" })).status, 200);
  assert.equal(server.csrfLoads, 0);
});

test("403 csrf_failed: the token is reloaded once and the request retried once", async (t) => {
  const server = fakeServer({ expired: false, csrf: "new" });
  const [client] = tabs(t, 1, server, { BroadcastChannel: undefined, csrfToken: "old" });
  const res = await client.fetch(`${BASE}/r`, { method: "POST", body: "{}" });
  assert.equal(res.status, 200);
  assert.deepEqual(server.hits("/r").map((r) => r.csrf), ["old", "new"]);
  assert.equal(server.csrfLoads, 1);

  // A refusal that a new token does not cure is returned, not looped.
  server.csrf = "unobtainable";
  const stuck = fakeServer({ expired: false, csrf: "other" });
  const [client2] = tabs(t, 1, { ...stuck, fetch: async (input, init) => {
    const res = await stuck.fetch(input, init);
    return new URL(new Request(input).url).pathname === "/r" ? json(403, { error: "csrf_failed" }) : res;
  } }, { BroadcastChannel: undefined, csrfToken: "old" });
  const res2 = await client2.fetch(`${BASE}/r`, { method: "POST", body: "{}" });
  assert.equal(res2.status, 403);
  assert.equal(stuck.hits("/r").length, 2);
  assert.equal(stuck.csrfLoads, 1);
});

test("the CSRF load itself survives an expired access cookie", async (t) => {
  const server = fakeServer();
  const [client] = tabs(t, 1, server, { BroadcastChannel: undefined });
  const res = await client.fetch(`${BASE}/r`, { method: "DELETE" });
  assert.equal(res.status, 200);
  assert.equal(server.refreshes, 1);
  assert.deepEqual(server.hits("/r").map((r) => r.csrf), ["csrf-1"]);
});

test("an unsafe call without a CSRF token after logout: one refresh, one event", async (t) => {
  const server = fakeServer({ refreshError: "invalid_refresh_token" });
  const [client] = tabs(t, 1, server, { BroadcastChannel: undefined });
  const events = countLoggedOut(client);
  const res = await client.fetch(`${BASE}/r`, { method: "POST", body: "{}" });
  assert.equal(res.status, 401);
  assert.equal(server.refreshes, 1);
  assert.deepEqual(events, ["invalid_refresh_token"]);
});

test("request bodies are replayed after the refresh", async (t) => {
  const cases = [
    ["string", () => '{"a":1}', '{"a":1}'],
    ["URLSearchParams", () => new URLSearchParams({ a: "1", b: "two" }), "a=1&b=two"],
    ["FormData", () => { const f = new FormData(); f.set("field", "value-42"); return f; }, "value-42"],
    ["Blob", () => new Blob(["blob-body"]), "blob-body"],
    ["ArrayBuffer", () => new TextEncoder().encode("buffer-body").buffer, "buffer-body"],
    ["Uint8Array", () => new TextEncoder().encode("view-body"), "view-body"],
  ];
  for (const [name, make, want] of cases) {
    const server = fakeServer();
    const [client] = tabs(t, 1, server, { BroadcastChannel: undefined, csrfToken: "csrf-1" });
    const res = await client.fetch(`${BASE}/r`, { method: "POST", body: make() });
    assert.equal(res.status, 200, name);
    const bodies = server.hits("/r").map((r) => r.body);
    assert.equal(bodies.length, 2, name);
    bodies.forEach((b) => assert.ok(b.includes(want), `${name}: ${b}`));
  }
});

test("a Request object with a body is replayed", async (t) => {
  const server = fakeServer();
  const [client] = tabs(t, 1, server, { BroadcastChannel: undefined, csrfToken: "csrf-1" });
  const res = await client.fetch(new Request(`${BASE}/r`, { method: "PUT", body: "request-body" }));
  assert.equal(res.status, 200);
  assert.deepEqual(server.hits("/r").map((r) => [r.method, r.body, r.csrf]),
    [["PUT", "request-body", "csrf-1"], ["PUT", "request-body", "csrf-1"]]);
});

test("a ReadableStream body is not retried, but the refresh still happens", async (t) => {
  const server = fakeServer();
  const [client] = tabs(t, 1, server, { BroadcastChannel: undefined, csrfToken: "csrf-1" });
  const body = new ReadableStream({ start(c) { c.enqueue(new TextEncoder().encode("once")); c.close(); } });
  const res = await client.fetch(`${BASE}/r`, { method: "POST", body, duplex: "half" });
  assert.equal(res.status, 401);
  assert.equal(server.hits("/r").length, 1);
  assert.equal(server.refreshes, 1);
});

test("refresh(): explicit, sends {} as JSON with the CSRF token, resolves true", async (t) => {
  const server = fakeServer({ expired: false });
  const [client] = tabs(t, 1, server, { BroadcastChannel: undefined, csrfToken: "csrf-1" });
  assert.equal(await client.refresh(), true);
  const [r] = server.hits("/v1/token/refresh");
  assert.deepEqual([r.method, r.body, r.csrf, r.credentials], ["POST", "{}", "csrf-1", "include"]);

  server.refreshError = "invalid_refresh_token";
  const events = countLoggedOut(client);
  assert.equal(await client.refresh(), false);
  assert.deepEqual(events, ["invalid_refresh_token"]);
});

test("the source never names browser storage or document cookies", async () => {
  const src = (await readFile(new URL("./gatehouse.js", import.meta.url), "utf8")).toLowerCase();
  for (const word of ["localstorage", "sessionstorage", "indexeddb", "document.cookie", "document", "cookiestore"]) {
    assert.ok(!src.includes(word), `gatehouse.js mentions ${word}`);
  }
});

test("no storage or cookie access at run time", async (t) => {
  const names = ["localStorage", "sessionStorage", "indexedDB", "cookieStore", "document"];
  const touched = [];
  const saved = names.map((n) => [n, Object.getOwnPropertyDescriptor(globalThis, n)]);
  for (const n of names) {
    Object.defineProperty(globalThis, n, {
      configurable: true,
      get() { touched.push(n); throw new Error(`${n} touched`); },
    });
  }
  t.after(() => {
    for (const [n, d] of saved) {
      if (d) Object.defineProperty(globalThis, n, d);
      else delete globalThis[n];
    }
  });
  const server = fakeServer({ refreshError: null });
  const [a, b] = tabs(t, 2, server, { locks: fakeLocks() });
  const responses = await Promise.all([
    a.fetch(`${BASE}/r`), b.fetch(`${BASE}/r`, { method: "POST", body: "x" }),
  ]);
  responses.forEach((res) => assert.equal(res.status, 200));
  server.expired = true;
  server.refreshError = "refresh_token_reused";
  assert.equal((await a.fetch(`${BASE}/r`)).status, 401);
  assert.deepEqual(touched, []);
});
