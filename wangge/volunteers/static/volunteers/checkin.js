// The check-in page: fill each form's lat/lng from the phone's position when the browser gives it.
(function () {
  "use strict";
  if (!navigator.geolocation) { return; }
  navigator.geolocation.getCurrentPosition(function (p) {
    document.querySelectorAll("input[name=lat]").forEach(function (i) { i.value = p.coords.latitude; });
    document.querySelectorAll("input[name=lng]").forEach(function (i) { i.value = p.coords.longitude; });
  }, function () {}, {timeout: 5000});
})();
