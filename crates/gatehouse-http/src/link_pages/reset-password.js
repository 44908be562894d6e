// /reset-password#token=...: sets the new password typed twice (both must match).
(function () {
  "use strict";
  var link = window.GatehouseLink;
  var form = document.getElementById("form");
  var button = document.getElementById("submit");
  var password = document.getElementById("password");
  var again = document.getElementById("again");
  var token = link.takeToken();
  if (!token) {
    return;
  }
  button.disabled = false;
  link.show("", false);
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (password.value === "") {
      link.show("Enter the new password.", true);
      return;
    }
    if (password.value !== again.value) {
      link.show("The two passwords are not the same.", true);
      return;
    }
    button.disabled = true;
    link.show("Setting the new password…", false);
    link
      .post("/v1/auth/password-reset/confirm", { token: token, new_password: password.value })
      .then(function (result) {
        if (result.ok) {
          password.value = "";
          again.value = "";
          form.hidden = true;
          link.show(
            "Done: your password is changed and " + result.body.sessions_ended +
              " session(s) were signed out. Sign in with the new password.",
            false
          );
        } else {
          // A refused password (policy, history) can be corrected; a bad link cannot.
          button.disabled = result.body.code === "invalid_link";
          link.show("The password was not changed: " + link.problem(result.body) + ".", true);
        }
      })
      .catch(function () {
        button.disabled = false;
        link.unreachable();
      });
  });
})();
