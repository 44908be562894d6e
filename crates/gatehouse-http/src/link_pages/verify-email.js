// /verify-email#token=...: confirms the address when the person presses the button.
(function () {
  "use strict";
  var link = window.GatehouseLink;
  var button = document.getElementById("submit");
  var token = link.takeToken();
  if (!token) {
    return;
  }
  button.disabled = false;
  link.show("", false);
  button.addEventListener("click", function () {
    button.disabled = true;
    link.show("Confirming…", false);
    link
      .post("/v1/auth/verify-email", { token: token })
      .then(function (result) {
        if (result.ok) {
          link.show("Done: your email address is confirmed. You can close this page.", false);
        } else {
          link.show("This link cannot be used: " + link.problem(result.body) + ".", true);
        }
      })
      .catch(function () {
        button.disabled = false;
        link.unreachable();
      });
  });
})();
