/* Grid map: draws the boundaries from /api/v1/areas/<code>/geojson with Leaflet (no CDN; base map from basemap.js). */
(function () {
  "use strict";
  var el = document.getElementById("area-map");
  if (!el || typeof L === "undefined") return;
  var PALETTE = ["#4e79a7", "#59a14f", "#b07aa1", "#76b7b2", "#edc948", "#9c755f", "#e15759", "#bab0ac", "#86bcb6", "#8cd17d"];
  var codes = JSON.parse(el.dataset.codes || "[]");
  // Base map: the configured tiles, else our own roads/buildings/names (the grids are labelled below).
  var map = WanggeMap.create(el, { zoomSnap: 0.25, preferCanvas: false, gridLabels: false,
    basemapCode: codes.length === 1 ? codes[0] : undefined });
  var group = L.featureGroup().addTo(map);
  var selected = null;

  function colour(code) {
    var n = 0;
    for (var i = 0; i < code.length; i++) n = (n * 31 + code.charCodeAt(i)) % 9973;
    return PALETTE[n % PALETTE.length];
  }
  function style(f) {
    var p = f.properties;
    if (p.level === "microgrid") return { color: "#555", weight: 0.8, dashArray: "3 3", fill: false, interactive: false };
    if (p.grid_type === "dedicated") return { color: "#b35900", weight: 1.5, fillColor: "#f28e2b", fillOpacity: 0.45 };
    if (p.level === "grid") return { color: "#333", weight: 1.2, fillColor: colour(p.code), fillOpacity: 0.35 };
    return { color: "#c8102e", weight: 2.5, fill: false, interactive: false };
  }
  function show(code) {
    var url = el.dataset.panelUrl.replace("CODE", code);
    if (window.htmx) window.htmx.ajax("GET", url, { target: "#area-panel", swap: "innerHTML" });
    else window.location = url;
  }

  Promise.all(codes.map(function (code) {
    return fetch(el.dataset.api + encodeURIComponent(code) + "/geojson", { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : { features: [] }; });
  })).then(function (collections) {
    var features = [];
    collections.forEach(function (fc) { features = features.concat(fc.features || []); });
    var grids = features.filter(function (f) { return f.properties.level === "grid"; }).length;
    // Grids first, then micro-grid outlines, then community/street outlines on top (only grids are clickable).
    var ORDER = { grid: 0, microgrid: 1 };
    features.sort(function (a, b) {
      var oa = ORDER[a.properties.level] === undefined ? 2 : ORDER[a.properties.level];
      var ob = ORDER[b.properties.level] === undefined ? 2 : ORDER[b.properties.level];
      return oa - ob || (a.properties.code < b.properties.code ? -1 : 1);
    });
    L.geoJSON({ type: "FeatureCollection", features: features }, {
      style: style,
      onEachFeature: function (f, layer) {
        var p = f.properties;
        if (p.level !== "grid") return;
        layer.bindTooltip(p.name, grids <= 60 ? { permanent: true, direction: "center", className: "grid-label" } : {});
        layer.on("click", function () {
          if (selected) selected.setStyle({ weight: style(selected.feature).weight });
          selected = layer;
          layer.setStyle({ weight: 3.5 });
          show(p.code);
        });
      },
    }).addTo(group);
    if (group.getLayers().length && group.getBounds().isValid()) map.fitBounds(group.getBounds(), { padding: [8, 8] });
    else map.setView([32.5, 120.45], 12);
    el.dataset.features = String(features.length);
    el.classList.add("ready");
  });
})();
