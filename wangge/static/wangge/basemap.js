// One way to make a map: window.WanggeMap.create(el, options) -> L.Map.
// The base map comes from the data attributes of this script's own tag (templates/wangge/_basemap.html, from
// the settings WANGGE_TILE_*): a tile URL template and its coordinate system. Our data is WGS84/CGCS2000:
//  - wgs84 / cgcs2000 tiles (天地图, intranet tile servers): drawn as they are;
//  - gcj02 tiles (高德): the map's projection shifts every WGS84 overlay onto the tiles, and the points the
//    user picks (click, drag) come back un-shifted, so callers only ever see WGS84;
//  - no tiles: a base layer drawn from our own data (GET /api/v1/areas/{code}/basemap, or around the map's
//    centre for viewers without an area): outlines and names of communities and grids, roads, buildings.
// Options (all optional): any Leaflet map option, plus
//   basemapCode: the area whose base layer to draw (default: el.dataset.basemapCode, else around the centre);
//   gridLabels: false to leave out the grid names (a map that labels its grids itself).
(function () {
  "use strict";
  var script = document.currentScript;
  var cfg = (script && script.dataset) || {};
  var API = cfg.api || "/api/v1/areas/";
  var PI = Math.PI, A = 6378245.0, EE = 0.00669342162296594323;

  function outOfChina(lat, lng) { return lng < 72.004 || lng > 137.8347 || lat < 0.8293 || lat > 55.8271; }
  function tLat(x, y) {
    var r = -100 + 2 * x + 3 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x));
    r += (20 * Math.sin(6 * x * PI) + 20 * Math.sin(2 * x * PI)) * 2 / 3;
    r += (20 * Math.sin(y * PI) + 40 * Math.sin(y / 3 * PI)) * 2 / 3;
    r += (160 * Math.sin(y / 12 * PI) + 320 * Math.sin(y * PI / 30)) * 2 / 3;
    return r;
  }
  function tLng(x, y) {
    var r = 300 + x + 2 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x));
    r += (20 * Math.sin(6 * x * PI) + 20 * Math.sin(2 * x * PI)) * 2 / 3;
    r += (20 * Math.sin(x * PI) + 40 * Math.sin(x / 3 * PI)) * 2 / 3;
    r += (150 * Math.sin(x / 12 * PI) + 300 * Math.sin(x / 30 * PI)) * 2 / 3;
    return r;
  }
  // WGS84 -> GCJ-02 (the published formula; identity outside China), as [lat, lng].
  function toGcj(lat, lng) {
    if (outOfChina(lat, lng)) return [lat, lng];
    var dLat = tLat(lng - 105, lat - 35), dLng = tLng(lng - 105, lat - 35);
    var rad = lat / 180 * PI, magic = Math.sin(rad);
    magic = 1 - EE * magic * magic;
    var sq = Math.sqrt(magic);
    dLat = (dLat * 180) / ((A * (1 - EE)) / (magic * sq) * PI);
    dLng = (dLng * 180) / (A / sq * Math.cos(rad) * PI);
    return [lat + dLat, lng + dLng];
  }
  // GCJ-02 -> WGS84 by fixed-point iteration (well under 0.1 m after a few steps).
  function fromGcj(lat, lng) {
    var wLat = lat, wLng = lng;
    for (var i = 0; i < 6; i++) {
      var g = toGcj(wLat, wLng);
      wLat += lat - g[0]; wLng += lng - g[1];
    }
    return [wLat, wLng];
  }

  function gcjCrs() {
    var sm = L.Projection.SphericalMercator;
    var projection = {
      R: sm.R, bounds: sm.bounds, MAX_LATITUDE: sm.MAX_LATITUDE,
      project: function (ll) { var g = toGcj(ll.lat, ll.lng); return sm.project(L.latLng(g[0], g[1])); },
      unproject: function (p) { var ll = sm.unproject(p), w = fromGcj(ll.lat, ll.lng); return L.latLng(w[0], w[1]); },
    };
    return L.extend({}, L.CRS.EPSG3857, { code: "WANGGE:GCJ02", projection: projection });
  }

  function labelIcon(text, cls) {
    return { icon: L.divIcon({ className: "wangge-base-label " + cls, iconSize: null, html: "<span>" + escapeHtml(text) + "</span>" }) };
  }
  function escapeHtml(s) {
    return String(s).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  // The base layer from our own data: roads, outlines, buildings, names. Draws into its own panes, under
  // every overlay the page adds.
  function ownBaseLayer(map, el, options) {
    map.createPane("wanggeBase").style.zIndex = 250;
    map.createPane("wanggeBaseLabels").style.zIndex = 350;
    map.getPane("wanggeBaseLabels").style.pointerEvents = "none";
    el.classList.add("wangge-own-basemap");
    var renderer = L.svg({ pane: "wanggeBase" });
    var layer = L.layerGroup().addTo(map);
    var loaded = null, pending = false;
    var showGrids = options.gridLabels !== false;

    function draw(data) {
      layer.clearLayers();
      (data.lines || []).forEach(function (ln) {
        var pts = ln.coordinates.map(function (c) { return [c[1], c[0]]; });
        var road = ln.kind === "road";
        L.polyline(pts, { renderer: renderer, pane: "wanggeBase", color: "#c9c2b2", weight: road ? 9 : 5, opacity: 1, interactive: false, className: "wangge-base-road-casing" }).addTo(layer);
        L.polyline(pts, { renderer: renderer, pane: "wanggeBase", color: "#ffffff", weight: road ? 6 : 3, opacity: 1, interactive: false, className: "wangge-base-road" }).addTo(layer);
        if (road && ln.name && pts.length > 1) {
          var mid = [(pts[0][0] + pts[pts.length - 1][0]) / 2, (pts[0][1] + pts[pts.length - 1][1]) / 2];
          L.marker(mid, L.extend({ pane: "wanggeBaseLabels", interactive: false, keyboard: false }, labelIcon(ln.name, "road"))).addTo(layer);
        }
      });
      (data.areas || []).forEach(function (a) {
        if (a.outline) {
          var community = a.level === "community";
          L.geoJSON(a.outline, { renderer: renderer, pane: "wanggeBase", interactive: false,
            style: { color: community ? "#8a7f6a" : "#b8ae98", weight: community ? 2 : 1, dashArray: community ? null : "4 3", fill: false } }).addTo(layer);
        }
      });
      (data.points || []).forEach(function (p) {
        L.circleMarker([p.lat, p.lng], { renderer: renderer, pane: "wanggeBase", radius: 4, color: "#9d8f77", weight: 1, fillColor: "#e8dfcf", fillOpacity: 1, interactive: false, className: "wangge-base-building" }).addTo(layer);
      });
      (data.areas || []).forEach(function (a) {
        if (!a.label || (a.level !== "community" && !showGrids) || a.level === "microgrid") return;
        L.marker(a.label, L.extend({ pane: "wanggeBaseLabels", interactive: false, keyboard: false }, labelIcon(a.name, a.level))).addTo(layer);
      });
      el.dataset.basemapFeatures = String(layer.getLayers().length);
      el.classList.add("basemap-ready");
    }
    function fetchLayer(url) {
      pending = true;
      return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) { pending = false; if (data) { loaded = data; draw(data); } })
        .catch(function () { pending = false; });
    }
    function around() {
      if (pending) return;
      var c = map.getCenter();
      if (loaded && loaded.bbox) {
        var b = loaded.bbox, mw = (b[2] - b[0]) / 4, mh = (b[3] - b[1]) / 4;
        if (c.lng > b[0] + mw && c.lng < b[2] - mw && c.lat > b[1] + mh && c.lat < b[3] - mh) return;
      }
      fetchLayer(API + "basemap?lat=" + c.lat.toFixed(6) + "&lng=" + c.lng.toFixed(6));
    }
    var code = options.basemapCode || el.dataset.basemapCode;
    if (code) { fetchLayer(API + encodeURIComponent(code) + "/basemap"); }
    else { map.whenReady(around); map.on("moveend", around); }
    return layer;
  }

  function create(el, options) {
    options = options || {};
    var mapOptions = {};
    Object.keys(options).forEach(function (k) { if (k !== "basemapCode" && k !== "gridLabels") mapOptions[k] = options[k]; });
    var url = cfg.tileUrl || "";
    var crs = (cfg.tileCrs || "wgs84").toLowerCase();
    if (url && crs === "gcj02") mapOptions.crs = gcjCrs();
    if (mapOptions.attributionControl === undefined) mapOptions.attributionControl = Boolean(url && cfg.tileAttribution);
    var map = L.map(el, mapOptions);
    if (map.attributionControl) map.attributionControl.setPrefix(false);
    if (url) {
      L.tileLayer(url, {
        maxZoom: parseInt(cfg.tileMaxZoom, 10) || 18,
        subdomains: cfg.tileSubdomains || "abc",
        attribution: cfg.tileAttribution || "",
      }).addTo(map);
      el.dataset.basemap = "tiles:" + crs;
    } else {
      map.setMaxZoom(19);
      ownBaseLayer(map, el, options);
      el.dataset.basemap = "own";
    }
    return map;
  }

  window.WanggeMap = {
    create: create,
    tileCrs: function () { return cfg.tileUrl ? (cfg.tileCrs || "wgs84") : "wgs84"; },
    // For code that must talk to GCJ-02 things directly (a WeChat position, a 高德 link): WGS84 <-> GCJ-02.
    wgs84ToGcj02: toGcj,
    gcj02ToWgs84: fromGcj,
  };
})();
