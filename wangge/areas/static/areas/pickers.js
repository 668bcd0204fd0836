// Pickers (wangge/areas/widgets.py): the area list filtered by name, and the map that fills hidden
// latitude/longitude inputs. Loaded on every page (templates/wangge/_basemap.html); binds what it finds,
// again after htmx swaps content in.
(function () {
  "use strict";
  var script = document.currentScript;
  var leafletUrl = script && script.dataset.leaflet;

  function bindAreaPicker(box) {
    if (box.dataset.bound) return;
    box.dataset.bound = "1";
    var filter = box.querySelector(".area-picker-filter");
    var select = box.querySelector("select");
    var none = box.querySelector(".area-picker-none");
    if (!filter || !select) return;
    filter.hidden = false;  // the filter needs this script; without it the plain select still works
    var all = Array.prototype.map.call(select.options, function (o) {
      return { value: o.value, text: o.text, selected: o.selected };
    });
    filter.addEventListener("input", function () {
      var q = filter.value.trim().toLowerCase();
      var current = select.value, shown = 0;
      select.innerHTML = "";
      all.forEach(function (o) {
        if (q && o.value && o.text.toLowerCase().indexOf(q) === -1) return;
        var opt = document.createElement("option");
        opt.value = o.value; opt.text = o.text;
        if (o.value === current) opt.selected = true;
        select.appendChild(opt);
        if (o.value) shown++;
      });
      if (q && shown === 1) {  // one match: choose it, as a person would
        for (var i = 0; i < select.options.length; i++) if (select.options[i].value) { select.selectedIndex = i; break; }
        select.dispatchEvent(new Event("change", { bubbles: true }));
      }
      if (none) none.hidden = !(q && shown === 0);
    });
  }

  function withLeaflet(then) {
    if (window.L) { then(); return; }
    if (!leafletUrl) return;
    var s = document.querySelector("script[data-wangge-leaflet]");
    if (!s) {
      s = document.createElement("script");
      s.src = leafletUrl; s.dataset.wanggeLeaflet = "1";
      document.head.appendChild(s);
    }
    s.addEventListener("load", then);
  }

  function bindMapPicker(box) {
    if (box.dataset.bound) return;
    box.dataset.bound = "1";
    var latIn = document.getElementById(box.dataset.latInput);
    var form = box.closest("form");
    var lngIn = form && form.querySelector('input[name="' + box.dataset.lngName + '"]');
    var status = box.querySelector(".map-point-status");
    var el = box.querySelector(".map-point-map");
    if (!latIn || !lngIn || !el) return;
    var msg = status.dataset, map = null, marker = null;
    function show(lat, lng) {
      if (!map) return;
      if (marker) marker.setLatLng([lat, lng]); else marker = L.circleMarker([lat, lng], { radius: 9, color: "#c8102e" }).addTo(map);
    }
    function set(lat, lng) {
      latIn.value = lat.toFixed(6); lngIn.value = lng.toFixed(6);
      status.textContent = msg.msgSet;
      show(lat, lng);
    }
    withLeaflet(function () {
      var lat = parseFloat(latIn.value), lng = parseFloat(lngIn.value);
      var has = !isNaN(lat) && !isNaN(lng);
      var c = [parseFloat(box.dataset.centerLat) || 32.5, parseFloat(box.dataset.centerLng) || 120.4];
      map = WanggeMap.create(el).setView(has ? [lat, lng] : c, has ? 16 : 14);
      if (has) show(lat, lng);
      map.on("click", function (e) { set(e.latlng.lat, e.latlng.lng); });
      el.classList.add("ready");
    });
    box.querySelector(".map-point-clear").addEventListener("click", function () {
      latIn.value = ""; lngIn.value = "";
      if (marker && map) { map.removeLayer(marker); marker = null; }
      status.textContent = msg.msgNone;
    });
    box.querySelector(".map-point-locate").addEventListener("click", function () {
      if (!navigator.geolocation) { status.textContent = msg.msgUnsupported; return; }
      status.textContent = msg.msgLocating;
      navigator.geolocation.getCurrentPosition(function (pos) {  // the browser reports WGS84
        set(pos.coords.latitude, pos.coords.longitude);
        if (map) map.setView([pos.coords.latitude, pos.coords.longitude], 16);
      }, function () { status.textContent = msg.msgFailed; }, { enableHighAccuracy: true, timeout: 10000 });
    });
  }

  function bindAll(root) {
    Array.prototype.forEach.call((root || document).querySelectorAll("[data-area-picker]"), bindAreaPicker);
    Array.prototype.forEach.call((root || document).querySelectorAll("[data-map-picker]"), bindMapPicker);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", function () { bindAll(); });
  else bindAll();
  document.addEventListener("htmx:afterSettle", function (e) { bindAll(e.target); });
})();
