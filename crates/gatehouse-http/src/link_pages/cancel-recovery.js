// /cancel-recovery#token=...: cancels an email recovery when the person presses the button.
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
    link.show("Cancelling…", false);
    link
      .post("/v1/auth/recovery/cancel", { token: token })
      .then(function (result) {
        if (result.ok) {
          link.show(
            "Done: the recovery is cancelled and its links no longer work. Change your " +
              "password as soon as you can.",
            false
          );
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
