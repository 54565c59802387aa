// Pages turned towards the member: a button that prints the page (shown only where scripts run).
document.querySelectorAll("[data-print]").forEach(function (button) {
  button.hidden = false;
  button.addEventListener("click", function () { window.print(); });
});
