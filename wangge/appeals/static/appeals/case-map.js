// The case page's map: the case's point and its grid's boundary (data attributes of #appeal-map). Runs again
// after htmx swaps the case panel in.
(function () {
  "use strict";
  function caseMap() {
    var el = document.getElementById("appeal-map");
    if (!el || !window.L || el.dataset.ready) { return; }
    el.dataset.ready = "1";
    var lat = parseFloat(el.dataset.lat), lng = parseFloat(el.dataset.lng);
    var map = WanggeMap.create(el).setView([lat, lng], 16);
    if (el.dataset.boundary) {
      try { L.geoJSON(JSON.parse(el.dataset.boundary), {style: {color: "#0b57d0", weight: 2, fillOpacity: .05}}).addTo(map); } catch (e) {}
    }
    L.circleMarker([lat, lng], {radius: 9, color: "#c8102e"}).addTo(map);
  }
  window.wanggeCaseMap = caseMap;
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", caseMap); } else { caseMap(); }
  document.body.addEventListener("htmx:afterSettle", caseMap);
})();
