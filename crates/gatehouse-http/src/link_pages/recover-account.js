// /recover-account#token=...: completes an email recovery with the account's password.
// The answer signs the person in, but this page keeps none of it: no token is stored.
(function () {
  "use strict";
  var link = window.GatehouseLink;
  var form = document.getElementById("form");
  var button = document.getElementById("submit");
  var password = document.getElementById("password");
  var token = link.takeToken();
  if (!token) {
    return;
  }
  button.disabled = false;
  link.show("", false);
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (password.value === "") {
      link.show("Enter your password.", true);
      return;
    }
    button.disabled = true;
    link.show("Recovering your account…", false);
    link
      .post("/v1/auth/recovery/complete", { token: token, password: password.value })
      .then(function (result) {
        if (result.ok) {
          password.value = "";
          form.hidden = true;
          link.show(
            "Done: your account is recovered and two-step verification is off. Sign in " +
              "and set up a second factor again.",
            false
          );
        } else {
          // A wrong password or a recovery not ready yet leaves the link usable.
          button.disabled = result.body.code === "invalid_link";
          link.show("Your account was not recovered: " + link.problem(result.body) + ".", true);
        }
      })
      .catch(function () {
        button.disabled = false;
        link.unreachable();
      });
  });
})();
