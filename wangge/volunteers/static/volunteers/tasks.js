// Tasks near me: the map of task markers, and "sort by my position" via the browser's geolocation.
(function () {
  var el = document.getElementById("task-map");
  var data = document.getElementById("task-markers");
  if (el && data && window.L) {
    var markers = JSON.parse(data.textContent || "[]");
    var map = WanggeMap.create(el, {zoomControl: true});
    var pts = [];
    markers.forEach(function (m) {
      var mk = L.circleMarker([m.lat, m.lng], {radius: 8, color: "#c8102e"}).addTo(map);
      var a = document.createElement("a");
      a.href = m.url; a.textContent = m.title;
      mk.bindPopup(a);
      pts.push([m.lat, m.lng]);
    });
    if (pts.length) map.fitBounds(pts, {padding: [20, 20], maxZoom: 15});
    else map.setView([32.5, 120.4], 12);
  }
  var btn = document.getElementById("locate-me");
  if (btn) btn.addEventListener("click", function () {
    if (!navigator.geolocation) return;
    navigator.geolocation.getCurrentPosition(function (p) {
      var u = new URL(window.location.href);
      u.searchParams.set("lat", p.coords.latitude.toFixed(6));
      u.searchParams.set("lng", p.coords.longitude.toFixed(6));
      window.location.href = u.toString();
    });
  });
})();
