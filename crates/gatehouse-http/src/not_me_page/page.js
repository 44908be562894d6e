// The token is in the URL's fragment (#token=...), which browsers never send to a server:
// read it, take it out of the address bar and history, and send it only when the person
// presses the button (a mail scanner that opens the link changes nothing).
(function () {
  "use strict";
  var match = /(?:^|[#&])token=([A-Za-z0-9_-]{20,128})/.exec(window.location.hash);
  var button = document.getElementById("report");
  var status = document.getElementById("status");
  if (!match) {
    return;
  }
  var token = match[1];
  history.replaceState(null, "", window.location.pathname);
  button.disabled = false;
  status.textContent = "";
  button.addEventListener("click", function () {
    button.disabled = true;
    status.textContent = "Locking your account…";
    fetch("/v1/auth/not-me", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ token: token }),
      credentials: "omit",
    })
      .then(function (response) {
        return response.json().then(function (body) {
          return { ok: response.ok, body: body };
        });
      })
      .then(function (result) {
        if (result.ok) {
          status.textContent =
            "Done. Your account is locked until " +
            new Date(result.body.locked_until).toLocaleString() +
            " and " + result.body.sessions_ended +
            " session(s) were signed out. Change your password as soon as you can.";
        } else {
          status.textContent =
            "This link cannot be used (" + (result.body.detail || "error") +
            "). If you still think someone else is in your account, sign in and change your password.";
        }
      })
      .catch(function () {
        button.disabled = false;
        status.textContent = "The service could not be reached. Please try again.";
      });
  });
})();
