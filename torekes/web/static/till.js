// The till waits for its payment request to be paid and says so, without a reload: it asks the
// server, which answers as soon as the request is no longer open (a long poll).
(function () {
  "use strict";
  var till = document.querySelector(".till[data-status-url]");
  var status = document.getElementById("till-status");
  if (!till || !status || status.classList.contains("paid")) { return; }
  var words = { paid: till.dataset.paid, expired: till.dataset.expired, cancelled: till.dataset.cancelled };
  function settle(state) {
    var figure = till.querySelector(".qr");
    if (figure) { figure.remove(); }
    status.textContent = words[state];
    status.classList.add(state === "paid" ? "paid" : "problem");
  }
  function poll(delay) {
    fetch(till.dataset.statusUrl + "?wait=25", { credentials: "same-origin", cache: "no-store" })
      .then(function (response) { return response.ok ? response.json() : { status: "retry" }; })
      .then(function (body) {
        if (words[body.status]) { settle(body.status); return; }
        setTimeout(function () { poll(1000); }, body.status === "open" ? 0 : delay);
      })
      .catch(function () { setTimeout(function () { poll(Math.min(delay * 2, 15000)); }, delay); });
  }
  poll(1000);
})();
