// The report form's map: tap to place the case (tap again to move it), or use the phone's position. Under
// the map the grid the pin falls in is shown before submitting (GET /api/v1/areas/locate). Messages come
// from the data-msg-* attributes of #location-text and #location-grid (translated in the template).
(function () {
  "use strict";
  var el = document.getElementById("report-map");
  if (!el) { return; }
  var latIn = document.getElementById("id_lat"), lngIn = document.getElementById("id_lng");
  var csIn = document.getElementById("id_coord_system"), text = document.getElementById("location-text");
  var gridOut = document.getElementById("location-grid");
  var msg = text.dataset;
  var center = [parseFloat(el.dataset.lat) || 32.5, parseFloat(el.dataset.lng) || 120.4];
  var map = window.L ? WanggeMap.create(el).setView(center, 15) : null;
  var marker = null, asked = 0;

  // Which grid holds the point: the latest answer wins (a quick second tap must not show the first one's grid).
  function showGrid(lat, lng) {
    if (!gridOut) { return; }
    var n = ++asked;
    gridOut.dataset.state = "loading";
    gridOut.textContent = gridOut.dataset.msgLoading;
    var url = gridOut.dataset.api + "?lat=" + lat.toFixed(6) + "&lng=" + lng.toFixed(6) + "&coord_system=wgs84";
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(function (data) {
        if (n !== asked) { return; }
        if (data.grid) {
          gridOut.dataset.state = "inside";
          gridOut.dataset.grid = data.grid.code;
          gridOut.textContent = gridOut.dataset.msgInside.replace("%(name)s", data.grid.name);
        } else {
          gridOut.dataset.state = "outside";
          gridOut.dataset.grid = "";
          gridOut.textContent = gridOut.dataset.msgOutside;
        }
      })
      .catch(function () {
        if (n !== asked) { return; }
        gridOut.dataset.state = "failed";
        gridOut.textContent = gridOut.dataset.msgFailed;
      });
  }

  function setPoint(lat, lng, label) {
    latIn.value = lat.toFixed(6); lngIn.value = lng.toFixed(6); csIn.value = "wgs84";
    if (label) { text.textContent = label; }
    if (map) {
      if (marker) { marker.setLatLng([lat, lng]); } else { marker = L.circleMarker([lat, lng], {radius: 9, color: "#c8102e"}).addTo(map); }
    }
    showGrid(lat, lng);
  }
  if (latIn.value && lngIn.value) {
    setPoint(parseFloat(latIn.value), parseFloat(lngIn.value), "");
    if (map) { map.setView([parseFloat(latIn.value), parseFloat(lngIn.value)], 16); }
  }
  if (map) { map.on("click", function (e) { setPoint(e.latlng.lat, e.latlng.lng, msg.msgPicked); }); }
  window.wanggeSetPoint = setPoint;
  document.getElementById("locate-me").addEventListener("click", function () {
    if (!navigator.geolocation) { text.textContent = msg.msgUnsupported; return; }
    text.textContent = msg.msgLocating;
    // The browser's Geolocation API reports WGS84 (unlike WeChat/Chinese map SDKs, which use GCJ-02).
    navigator.geolocation.getCurrentPosition(function (pos) {
      setPoint(pos.coords.latitude, pos.coords.longitude, msg.msgLocated);
      if (map) { map.setView([pos.coords.latitude, pos.coords.longitude], 16); }
    }, function () { text.textContent = msg.msgFailed; }, {enableHighAccuracy: true, timeout: 10000});
  });
})();
