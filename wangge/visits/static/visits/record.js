// The visit form: fill lat/lng/accuracy from the phone's position; the status line's
// translated texts come from data-msg-* attributes on #geo-status.
(function () {
  "use strict";
  var f = document.getElementById("visit-form"), s = document.getElementById("geo-status");
  if (!f || !s) { return; }
  if (!navigator.geolocation) { s.textContent = s.dataset.msgFailed; return; }
  navigator.geolocation.getCurrentPosition(function (p) {
    f.lat.value = p.coords.latitude; f.lng.value = p.coords.longitude; f.accuracy_m.value = Math.round(p.coords.accuracy);
    s.textContent = s.dataset.msgLocated + " " + Math.round(p.coords.accuracy) + " m";
  }, function () { s.textContent = s.dataset.msgFailed; }, {enableHighAccuracy: true, timeout: 15000});
})();
