// Small progressive helpers for the coordinator's pages: a print button on the sheet, and a
// box that selects every claim. Without scripts the pages work the same, less conveniently.
(function () {
  "use strict";
  var print = document.querySelector("[data-print]");
  if (print) {
    print.hidden = false;
    print.addEventListener("click", function () { window.print(); });
  }
  var all = document.getElementById("select-all");
  if (all) {
    var boxes = document.querySelectorAll('input[type="checkbox"][name="claim"]');
    all.closest("label").hidden = false;
    all.addEventListener("change", function () {
      boxes.forEach(function (box) { box.checked = all.checked; });
    });
    boxes.forEach(function (box) {
      box.addEventListener("change", function () {
        var checked = Array.prototype.filter.call(boxes, function (b) { return b.checked; });
        all.checked = checked.length === boxes.length;
        all.indeterminate = checked.length > 0 && checked.length < boxes.length;
      });
    });
  }
})();
