// The report form's map: tap to place the case, or use the phone's position. Messages come from the
// data-msg-* attributes of #location-text (translated in the template).
(function () {
  "use strict";
  var el = document.getElementById("report-map");
  if (!el) { return; }
  var latIn = document.getElementById("id_lat"), lngIn = document.getElementById("id_lng");
  var csIn = document.getElementById("id_coord_system"), text = document.getElementById("location-text");
  var msg = text.dataset;
  var center = [parseFloat(el.dataset.lat) || 32.5, parseFloat(el.dataset.lng) || 120.4];
  var map = window.L ? L.map(el).setView(center, 15) : null;
  if (map && el.dataset.tileUrl) { L.tileLayer(el.dataset.tileUrl, {maxZoom: 19}).addTo(map); }
  var marker = null;
  function setPoint(lat, lng, label) {
    latIn.value = lat.toFixed(6); lngIn.value = lng.toFixed(6); csIn.value = "wgs84";
    text.textContent = label + " " + latIn.value + ", " + lngIn.value;
    if (map) {
      if (marker) { marker.setLatLng([lat, lng]); } else { marker = L.circleMarker([lat, lng], {radius: 9, color: "#c8102e"}).addTo(map); }
    }
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
