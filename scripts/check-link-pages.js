#!/usr/bin/env node
// Run each emailed-link page's scripts (crates/gatehouse-http/src/link_pages/) against a
// small stand-in for the browser (the elements the page's HTML declares, by id; fetch;
// history) and check: the token is taken from the fragment and out of the address bar,
// nothing is posted until the person acts, then exactly the documented body is posted to
// the page's endpoint; the reset page refuses two different passwords; a refusal shows the
// problem's detail; no storage is touched. Needs only node. Usage: node scripts/check-link-pages.js
"use strict";
const fs = require("fs");
const path = require("path");
const vm = require("vm");

const dir = path.join(__dirname, "..", "crates", "gatehouse-http", "src", "link_pages");
const TOKEN = "q3b0YV1xgqU6s7m5Yk2s0lq1oG2m7r4a9Xz3cJq8wT0";
let failures = 0;
function check(ok, what) {
  if (!ok) {
    failures += 1;
    console.error("FAIL: " + what);
  }
}

function element(disabled) {
  const listeners = {};
  return {
    value: "", disabled, hidden: false, textContent: "", className: "",
    addEventListener(type, fn) { listeners[type] = fn; },
    fire(type) { const event = { prevented: false, preventDefault() { this.prevented = true; } };
      listeners[type] && listeners[type](event); return event; },
  };
}

async function run(page, act, answer) {
  const html = fs.readFileSync(path.join(dir, page + ".html"), "utf8");
  const elements = {};
  for (const m of html.matchAll(/<(\w+)[^>]*\sid="([^"]+)"[^>]*>/g)) {
    elements[m[2]] = element(/\sdisabled[\s>]/.test(m[0]));
  }
  const posts = [];
  const location = { hash: "#token=" + TOKEN, pathname: "/" + page };
  const sandbox = {
    document: { getElementById: (id) => elements[id] || null },
    history: { replaceState: (_s, _t, url) => { location.hash = ""; location.replaced = url; } },
    fetch: (url, init) => { posts.push({ url, init }); return Promise.resolve({
      ok: answer.status < 300, status: answer.status, text: () => Promise.resolve(answer.text) }); },
    JSON,
  };
  Object.defineProperty(sandbox, "localStorage", { get() { check(false, page + ": localStorage"); } });
  Object.defineProperty(sandbox, "sessionStorage", { get() { check(false, page + ": sessionStorage"); } });
  sandbox.window = sandbox;
  sandbox.window.location = location;
  vm.createContext(sandbox);
  for (const m of html.matchAll(/<script src="\/([^"]+)"><\/script>/g)) {
    const file = m[1] === "link-pages.js" ? "common.js" : m[1];
    vm.runInContext(fs.readFileSync(path.join(dir, file), "utf8"), sandbox, { filename: file });
  }
  check(location.hash === "" && location.replaced === "/" + page, page + ": token left in the address bar");
  check(posts.length === 0, page + ": posted before the person acted");
  act(elements);
  await new Promise((r) => setTimeout(r, 10));
  return { posts, status: elements.status.textContent, elements };
}

const click = (els) => els.submit.fire("click");
const fill = (values) => (els) => {
  for (const [id, v] of Object.entries(values)) els[id].value = v;
  const event = els.form.fire("submit");
  check(event.prevented, "the form was submitted natively");
};
const refused = { status: 400, text: JSON.stringify({ code: "invalid_link", detail: "this link is unknown, used or expired" }) };

(async () => {
  const cases = [
    ["verify-email", click, { status: 200, text: '{"email_verified":true}' },
      "/v1/auth/verify-email", { token: TOKEN }],
    ["reset-password", fill({ password: "a new long passphrase", again: "a new long passphrase" }),
      { status: 200, text: '{"sessions_ended":2}' },
      "/v1/auth/password-reset/confirm", { token: TOKEN, new_password: "a new long passphrase" }],
    ["recover-account", fill({ password: "correct horse battery staple" }),
      { status: 200, text: '{"access_token":"x"}' },
      "/v1/auth/recovery/complete", { token: TOKEN, password: "correct horse battery staple" }],
    ["cancel-recovery", click, { status: 204, text: "" }, "/v1/auth/recovery/cancel", { token: TOKEN }],
  ];
  for (const [page, act, answer, endpoint, body] of cases) {
    const ok = await run(page, act, answer);
    check(ok.posts.length === 1 && ok.posts[0].url === endpoint && ok.posts[0].init.method === "POST",
      page + ": did not POST to " + endpoint);
    check(ok.posts.length === 1 && ok.posts[0].init.body === JSON.stringify(body), page + ": body " +
      (ok.posts[0] && ok.posts[0].init.body));
    check(/^Done/.test(ok.status), page + ": success not shown: " + ok.status);
    const bad = await run(page, act, refused);
    check(bad.status.includes("this link is unknown, used or expired"), page + ": detail not shown: " + bad.status);
  }
  const mismatch = await run("reset-password", fill({ password: "one long passphrase", again: "another" }),
    refused);
  check(mismatch.posts.length === 0, "reset-password: posted two different passwords");
  check(/not the same/.test(mismatch.status), "reset-password: mismatch not shown");
  if (failures) {
    process.exit(1);
  }
  console.log("check-link-pages: the four pages post what they should, when they should");
})();
