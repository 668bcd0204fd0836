/* 全市一张图: areas coloured by a figure with drill-down, case clusters for the visible box, places, special
   households as counts per area, volunteers on duty, and other networks' layers. No CDN; tiles optional. */
(function () {
  "use strict";
  var el = document.getElementById("command-map");
  if (!el || typeof L === "undefined") return;
  var API = el.dataset.api;
  var d = el.dataset;
  var map = window.WanggeMap ? window.WanggeMap.create(el) : L.map(el, { zoomSnap: 1, attributionControl: false });
  if (!window.WanggeMap && d.tileUrl) L.tileLayer(d.tileUrl, { maxZoom: 19 }).addTo(map);
  var state = { area: d.area || "", figure: "score", layers: { grids: true, cases: true } };
  var groups = {
    grids: L.featureGroup().addTo(map),
    cases: L.layerGroup().addTo(map),
    places: L.layerGroup(),
    special_households: L.layerGroup(),
    volunteers: L.layerGroup()
  };
  var other = {};
  var legend = null;
  var statusEl = document.getElementById("map-status");
  var OPEN = ["submitted", "opened", "dispatched", "acknowledged", "in_progress"];
  var DONE = ["resolved", "closed"];

  function get(path) {
    return fetch(API + path, { credentials: "same-origin", headers: { Accept: "application/json" } }).then(function (r) {
      return r.json().then(function (body) { if (!r.ok) throw new Error(body.detail || r.status); return body; });
    });
  }
  function status(text) { if (statusEl) statusEl.textContent = text || ""; }
  function esc(s) { var t = document.createElement("span"); t.textContent = s == null ? "" : String(s); return t.innerHTML; }

  // --- areas: coloured by the figure, drill down on click ---
  function colourOf(cls) {
    var row = (legend || []).filter(function (l) { return l["class"] === cls; })[0];
    return row ? row.colour : "#bdbdbd";
  }
  function drawLegend(data) {
    var box = document.getElementById("map-legend");
    box.innerHTML = "<b>" + esc(data.figure_label) + "</b> " + data.legend.map(function (l) {
      return '<span><i class="sw" data-colour="' + esc(l.colour) + '"></i>' + esc(l.label) + "</span>";
    }).join(" ");
    box.querySelectorAll("i.sw").forEach(function (i) { i.style.background = i.dataset.colour; });
  }
  function drawCrumbs(data) {
    var nav = document.getElementById("map-crumbs");
    nav.innerHTML = "";
    data.breadcrumb.forEach(function (c, i) {
      var last = i === data.breadcrumb.length - 1;
      var a = document.createElement(last ? "span" : "a");
      a.textContent = c.name;
      if (!last) { a.href = "#" + c.code; a.dataset.code = c.code; a.addEventListener("click", function (e) { e.preventDefault(); load(c.code); }); }
      else a.setAttribute("aria-current", "page");
      nav.appendChild(a);
    });
  }
  function fillFigures(data) {
    var sel = document.getElementById("map-figure");
    if (sel.options.length) return;
    data.figures.forEach(function (f) { var o = document.createElement("option"); o.value = f.key; o.textContent = f.label; sel.appendChild(o); });
    sel.value = data.figure;
    sel.addEventListener("change", function () { state.figure = sel.value; load(state.area, true); });
  }
  function load(code, keepView) {
    status("…");
    return get("map/areas?figure=" + encodeURIComponent(state.figure) + (code ? "&area=" + encodeURIComponent(code) : "")).then(function (data) {
      state.area = data.area.code;
      legend = data.legend;
      fillFigures(data); drawLegend(data); drawCrumbs(data);
      groups.grids.clearLayers(); groups.special_households.clearLayers();
      var gj = L.geoJSON({ type: "FeatureCollection", features: data.features.filter(function (f) { return f.geometry; }) }, {
        style: function (f) { return { color: "#333", weight: 1.2, fillColor: colourOf(f.properties["class"]), fillOpacity: 0.55 }; },
        onEachFeature: function (f, layer) {
          var p = f.properties;
          var v = p.value == null ? d.labelNoData : Math.round(p.value * 1000) / 10 + "%";
          layer.bindTooltip(esc(p.name) + "：" + esc(v));
          layer.on("click", function () { if (p.drill) load(p.code); });
          var c = layer.getBounds().getCenter();
          var count = p.special_households == null ? d.labelSuppressed : p.special_households;
          L.marker(c, { interactive: false, icon: L.divIcon({ className: "map-count", html: esc(d.labelSpecial + " " + count), iconSize: null }) }).addTo(groups.special_households);
        }
      }).addTo(groups.grids);
      if (!keepView && gj.getLayers().length) map.fitBounds(gj.getBounds(), { padding: [10, 10] });
      status("");
      refreshPoints();
    }).catch(function (e) { status(e.message); });
  }

  // --- cases: server-side clusters for the visible box and zoom ---
  var seq = 0;
  function clusterClass(c) {
    var open = 0, done = 0;
    Object.keys(c.by_state).forEach(function (s) { if (OPEN.indexOf(s) >= 0) open += c.by_state[s]; else if (DONE.indexOf(s) >= 0) done += c.by_state[s]; });
    var st = open >= done && open > 0 ? "st-open" : done > 0 ? "st-done" : "st-other";
    var sup = (c.by_supervision.red ? " sup-red" : c.by_supervision.yellow ? " sup-yellow" : "");
    return "map-cluster " + st + sup;
  }
  function openCase(id, layer) {
    get("map/cases/" + id).then(function (c) {
      var others = (c.other_grids || []).map(function (g) { return esc(g.layer_name + " " + g.code + " " + g.name); }).join("<br>");
      layer.bindPopup("<b>#" + c.id + " " + esc(c.title) + "</b><br>" + esc(c.state_label) + " · " + esc(c.supervision_label) +
        "<br>" + esc(c.grid_name || c.grid_code) + (others ? "<br>" + esc(d.labelPolice) + "：<br>" + others : "") +
        '<br><a href="' + esc(c.url) + '">' + esc(d.labelOpen) + "</a>").openPopup();
    }).catch(function (e) { status(e.message); });
  }
  function refreshCases() {
    if (!state.layers.cases) { groups.cases.clearLayers(); return; }
    var b = map.getBounds(), z = Math.round(map.getZoom());
    var bbox = [Math.max(-180, b.getWest()), Math.max(-90, b.getSouth()), Math.min(180, b.getEast()), Math.min(90, b.getNorth())].map(function (x) { return x.toFixed(6); }).join(",");
    var mine = ++seq;
    get("map/clusters?bbox=" + bbox + "&zoom=" + z).then(function (data) {
      if (mine !== seq) return;
      groups.cases.clearLayers();
      (data.cases || []).forEach(function (c) {
        var m = L.circleMarker([c.lat, c.lng], { radius: 7, weight: 2, color: c.supervision === "red" ? "#c00" : c.supervision === "yellow" ? "#f0b400" : "#fff",
          fillColor: OPEN.indexOf(c.state) >= 0 ? "#e8590c" : DONE.indexOf(c.state) >= 0 ? "#2b8a3e" : "#868e96", fillOpacity: 0.9 });
        m.on("click", function () { openCase(c.id, m); });
        m.addTo(groups.cases);
      });
      data.clusters.forEach(function (c) {
        var size = c.n < 10 ? 30 : c.n < 100 ? 36 : c.n < 1000 ? 44 : 52;
        var icon = L.divIcon({ className: clusterClass(c), html: String(c.n), iconSize: [size, size] });
        var m = L.marker([c.lat, c.lng], { icon: icon, title: c.n + " " + d.labelCases });
        m.on("click", function () { map.setView([c.lat, c.lng], Math.min(map.getZoom() + 2, 19)); });
        m.addTo(groups.cases);
      });
      status(data.total + " " + d.labelCases);
    }).catch(function (e) { status(e.message); });
  }
  function refreshPoints() {
    refreshCases();
    if (state.layers.places) get("map/layers/places").then(function (data) {
      groups.places.clearLayers();
      data.places.forEach(function (p) {
        L.circle([p.lat, p.lng], { radius: data.circle_radius_m, color: "#1971c2", weight: 1, fillOpacity: 0.08, interactive: false }).addTo(groups.places);
        L.circleMarker([p.lat, p.lng], { radius: 5, color: "#1971c2", fillOpacity: 1 }).bindTooltip(esc(p.name)).addTo(groups.places);
      });
    });
    if (state.layers.volunteers) get("map/layers/volunteers").then(function (data) {
      groups.volunteers.clearLayers();
      data.tasks.forEach(function (t) {
        L.marker([t.lat, t.lng], { icon: L.divIcon({ className: "map-duty", html: esc(d.labelOnDuty + " " + t.on_duty), iconSize: null }) })
          .bindTooltip(esc(t.title + " · " + t.place)).addTo(groups.volunteers);
      });
    });
  }

  // --- other networks' layers (三网融合) ---
  function loadOther(key) {
    return get("map/layers/features?key=" + encodeURIComponent(key)).then(function (fc) {
      other[key].clearLayers();
      L.geoJSON(fc, {
        style: function () { return { color: "#1c7ed6", weight: 2, dashArray: "6 4", fill: false }; },
        onEachFeature: function (f, layer) {
          var grids = (f.properties.grids || []).map(function (g) { return esc(g.grid_code) + " (" + Math.round(g.share * 100) + "%)"; }).join("<br>");
          layer.bindPopup("<b>" + esc(f.properties.code) + " " + esc(f.properties.name) + "</b>" + (grids ? "<br>" + grids : ""));
        }
      }).addTo(other[key]);
    });
  }
  function loadLayerList() {
    get("map/layers").then(function (layers) {
      var span = document.getElementById("map-other-layers");
      span.innerHTML = "";
      layers.filter(function (l) { return l.kind !== "builtin"; }).forEach(function (l) {
        if (!other[l.key]) other[l.key] = L.featureGroup();
        var label = document.createElement("label");
        var box = document.createElement("input");
        box.type = "checkbox"; box.dataset.other = l.key;
        box.checked = map.hasLayer(other[l.key]);
        box.addEventListener("change", function () {
          if (box.checked) loadOther(l.key).then(function () { other[l.key].addTo(map); });
          else map.removeLayer(other[l.key]);
        });
        label.appendChild(box);
        label.appendChild(document.createTextNode(l.name));
        span.appendChild(label);
      });
    });
  }

  document.querySelectorAll("[data-layer]").forEach(function (box) {
    box.addEventListener("change", function () {
      var key = box.dataset.layer;
      state.layers[key] = box.checked;
      if (box.checked) groups[key].addTo(map); else map.removeLayer(groups[key]);
      refreshPoints();
    });
  });
  document.body.addEventListener("htmx:afterSwap", function () { loadLayerList(); });
  map.on("moveend", refreshCases);
  map.setView([32.5, 120.4], 12);
  load(state.area);
  loadLayerList();
})();
