// Scanning a member card's QR with the rear camera, only where the browser decodes QR codes
// itself (BarcodeDetector): the decoded text (the card's URL) fills the card field. Elsewhere the
// button stays hidden and the number printed on the card is typed.
(function () {
  "use strict";
  var button = document.getElementById("scan-card");
  var field = document.getElementById("card");
  var video = document.getElementById("scan-video");
  var status = document.getElementById("scan-status");
  if (!button || !field || !video || !status) { return; }
  if (!("BarcodeDetector" in window) || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) { return; }
  var detector = null;
  var stream = null;

  function stop() {
    if (stream) { stream.getTracks().forEach(function (track) { track.stop(); }); }
    stream = null;
    video.srcObject = null;
    video.hidden = true;
    button.textContent = button.dataset.scan;
  }
  function look() {
    if (!stream) { return; }
    detector.detect(video).then(function (codes) {
      var found = codes.filter(function (code) { return code.rawValue; })[0];
      if (found) {
        field.value = found.rawValue;
        stop();
        status.textContent = button.dataset.found;
        field.focus();
        return;
      }
      setTimeout(look, 200);
    }, function () { setTimeout(look, 400); });
  }
  function start() {
    navigator.mediaDevices.getUserMedia({ video: { facingMode: { ideal: "environment" } }, audio: false })
      .then(function (camera) {
        stream = camera;
        video.srcObject = camera;
        video.hidden = false;
        button.textContent = button.dataset.stop;
        status.textContent = button.dataset.looking;
        return video.play();
      })
      .then(look)
      .catch(function () { stop(); status.textContent = button.dataset.failed; });
  }
  window.BarcodeDetector.getSupportedFormats().then(function (formats) {
    if (formats.indexOf("qr_code") === -1) { return; }
    detector = new window.BarcodeDetector({ formats: ["qr_code"] });
    button.hidden = false;
    button.addEventListener("click", function () { if (stream) { stop(); } else { start(); } });
    window.addEventListener("pagehide", stop);
  }).catch(function () { /* no scanning here: the number is typed */ });
})();
