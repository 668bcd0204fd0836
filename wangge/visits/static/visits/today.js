// The grid worker's day: "sort by my position" reloads the page with ?lat=&lng= from the phone.
(function () {
  "use strict";
  var b = document.getElementById("locate");
  if (!b || !navigator.geolocation) { return; }
  b.addEventListener("click", function () {
    b.disabled = true;
    navigator.geolocation.getCurrentPosition(function (p) {
      location.search = "?lat=" + p.coords.latitude.toFixed(6) + "&lng=" + p.coords.longitude.toFixed(6);
    }, function () { b.disabled = false; }, {enableHighAccuracy: true, timeout: 10000});
  });
})();
