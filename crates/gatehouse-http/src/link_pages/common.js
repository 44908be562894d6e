// Shared by the pages the emailed links open (/verify-email, /reset-password,
// /recover-account, /cancel-recovery). The token is in the URL's fragment (#token=...),
// which browsers never send to a server: read it once, take it out of the address bar and
// history, and keep it only in this page's memory (never in storage).
window.GatehouseLink = (function () {
  "use strict";
  var status = document.getElementById("status");

  function takeToken() {
    var match = /(?:^|[#&])token=([A-Za-z0-9_-]{20,128})/.exec(window.location.hash);
    if (!match) {
      return null;
    }
    history.replaceState(null, "", window.location.pathname);
    return match[1];
  }

  function show(text, isError) {
    status.textContent = text;
    status.className = isError ? "error" : "";
  }

  // POST a JSON body to this origin; resolves to { ok, status, body } (body {} when the
  // answer has none, e.g. 204).
  function post(path, body) {
    return fetch(path, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
      credentials: "omit",
    }).then(function (response) {
      return response.text().then(function (text) {
        var parsed = {};
        try {
          parsed = text ? JSON.parse(text) : {};
        } catch (e) {
          parsed = {};
        }
        return { ok: response.ok, status: response.status, body: parsed };
      });
    });
  }

  // The sentence a problem+json answer gives.
  function problem(body) {
    return body.detail || body.title || "the request was refused";
  }

  function unreachable() {
    show("The service could not be reached. Please try again.", true);
  }

  return { takeToken: takeToken, show: show, post: post, problem: problem, unreachable: unreachable };
})();
