// The command-centre wall: draws everything from one API answer and asks again every data-refresh seconds
// (fetch, no reload). The grid boundaries are fetched once; later answers only recolour them.
(function () {
  "use strict";
  var root = document.getElementById("screen");
  if (!root) { return; }
  var d = root.dataset;
  var COLOURS = ["#3a4a66", "#2ecc71", "#f1c40f", "#e67e22", "#e74c3c"];
  var map = null, gridLayer = null, latest = null, trendChart = null, rankChart = null;

  function text(el, value) { if (el) { el.textContent = value; } }
  function pad(n) { return (n < 10 ? "0" : "") + n; }

  function tick() {
    var now = new Date();
    text(root.querySelector("[data-clock]"), pad(now.getHours()) + ":" + pad(now.getMinutes()) + ":" + pad(now.getSeconds()));
    text(root.querySelector("[data-clock-date]"), now.getFullYear() + "-" + pad(now.getMonth() + 1) + "-" + pad(now.getDate()));
  }

  // Grid colour by its rate (cases per 100 households): thresholds from the spread of this answer.
  function bands(grids) {
    var rates = grids.map(function (g) { return g.rate; }).filter(function (r) { return r !== null; });
    var top = rates.length ? Math.max.apply(null, rates) : 0;
    return top > 0 ? [top * 0.25, top * 0.5, top * 0.75] : [0, 0, 0];
  }
  function colour(rate, cuts) {
    if (rate === null || rate === undefined) { return COLOURS[0]; }
    if (rate <= cuts[0]) { return COLOURS[1]; }
    if (rate <= cuts[1]) { return COLOURS[2]; }
    if (rate <= cuts[2]) { return COLOURS[3]; }
    return COLOURS[4];
  }

  function legend(cuts) {
    var ul = root.querySelector("[data-legend]");
    if (!ul) { return; }
    ul.textContent = "";
    var labels = ["—", "≤" + cuts[0].toFixed(1), "≤" + cuts[1].toFixed(1), "≤" + cuts[2].toFixed(1), ">" + cuts[2].toFixed(1)];
    labels.forEach(function (label, i) {
      var li = document.createElement("li");
      li.className = "l" + i;
      li.textContent = label;
      ul.appendChild(li);
    });
  }

  function styleGrids() {
    if (!gridLayer || !latest) { return; }
    var byCode = {};
    latest.grids.forEach(function (g) { byCode[g.code] = g; });
    var cuts = bands(latest.grids);
    legend(cuts);
    gridLayer.eachLayer(function (layer) {
      var g = byCode[layer.feature.properties.code] || {rate: null, cases: 0, name: layer.feature.properties.name};
      layer.setStyle({color: "#7fd4ff", weight: 1, fillColor: colour(g.rate, cuts), fillOpacity: 0.65});
      layer.unbindTooltip();
      layer.bindTooltip(g.name + " " + g.cases + d.labelCases + (g.rate === null ? "" : " · " + g.rate + " " + d.labelRate),
        {className: "screen-grid-label"});
    });
  }

  function drawMap() {
    var el = document.getElementById("screen-map");
    if (!el || !window.L) { return; }
    map = window.WanggeMap ? window.WanggeMap.create(el) : L.map(el, {zoomControl: false, attributionControl: false});
    if (d.tileUrl) { L.tileLayer(d.tileUrl, {maxZoom: 19}).addTo(map); }
    fetch(d.geojson, {credentials: "same-origin", headers: {Accept: "application/json"}})
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
      .then(function (fc) {
        gridLayer = L.geoJSON(fc, {style: {color: "#7fd4ff", weight: 1, fillColor: COLOURS[0], fillOpacity: 0.65}}).addTo(map);
        var bounds = gridLayer.getBounds();
        if (bounds.isValid()) { map.fitBounds(bounds, {padding: [16, 16]}); } else { map.setView([32.5, 120.45], 12); }
        root.querySelector("#screen-map").setAttribute("data-drawn", String(fc.features.length));
        styleGrids();
      })
      .catch(function () { map.setView([32.5, 120.45], 12); status(d.labelError); });
  }

  function drawTrend(data) {
    var el = document.getElementById("screen-trend");
    if (!el || !window.echarts) { return; }
    trendChart = trendChart || echarts.init(el, null, {renderer: "canvas"});
    trendChart.setOption({
      backgroundColor: "transparent",
      textStyle: {color: "#9fc3ff"},
      legend: {data: [d.labelReported, d.labelClosed], textStyle: {color: "#9fc3ff"}, top: 0},
      grid: {left: 36, right: 12, top: 30, bottom: 24},
      tooltip: {trigger: "axis"},
      xAxis: {type: "category", data: data.trend.map(function (t) { return t.day.slice(5); }),
        axisLine: {lineStyle: {color: "#3d5a8a"}}},
      yAxis: {type: "value", minInterval: 1, splitLine: {lineStyle: {color: "#16305c"}}},
      series: [
        {name: d.labelReported, type: "line", smooth: true, data: data.trend.map(function (t) { return t.reported; }),
          itemStyle: {color: "#3ee6ff"}, areaStyle: {color: "rgba(62,230,255,0.15)"}},
        {name: d.labelClosed, type: "line", smooth: true, data: data.trend.map(function (t) { return t.closed; }),
          itemStyle: {color: "#2ecc71"}}
      ]
    });
    el.setAttribute("data-drawn", "1");
  }

  function drawRanking(data) {
    var el = document.getElementById("screen-ranking");
    if (!el || !window.echarts) { return; }
    var rows = data.ranking.slice(0, 10);
    rankChart = rankChart || echarts.init(el, null, {renderer: "canvas"});
    rankChart.setOption({
      backgroundColor: "transparent",
      textStyle: {color: "#9fc3ff"},
      grid: {left: 120, right: 60, top: 6, bottom: 6},
      xAxis: {type: "value", max: 100, show: false},
      yAxis: {type: "category", inverse: true, data: rows.map(function (r) { return r.name; }),
        axisLabel: {color: "#d8e6ff", width: 110, overflow: "truncate"}, axisLine: {show: false}, axisTick: {show: false}},
      series: [{type: "bar", barMaxWidth: 18,
        data: rows.map(function (r) {
          return r.ranked ? {value: r.score, itemStyle: {color: "#1f9bff"}} : {value: 0, itemStyle: {color: "#3a4a66"}};
        }),
        label: {show: true, position: "right", color: "#fff",
          formatter: function (p) { var r = rows[p.dataIndex]; return r.ranked ? String(r.score) : d.labelUnranked + "(" + r.sample + ")"; }}}]
    }, true);
    el.setAttribute("data-drawn", String(rows.length));
    text(root.querySelector("[data-min-sample]"), "≥" + data.min_sample + d.labelCases);
    text(root.querySelector("[data-ranking-area]"), "· " + data.ranking_area);
  }

  function drawOverdue(data) {
    var body = root.querySelector("[data-overdue]");
    if (!body) { return; }
    body.textContent = "";
    if (!data.overdue.length) {
      var tr0 = document.createElement("tr"), td0 = document.createElement("td");
      td0.colSpan = 4;
      td0.textContent = d.labelNone;
      tr0.appendChild(td0);
      body.appendChild(tr0);
      return;
    }
    data.overdue.forEach(function (o) {
      var tr = document.createElement("tr");
      tr.setAttribute("data-case", String(o.id));
      [o.number, o.title, o.handler, o.overdue_for].forEach(function (value, i) {
        var td = document.createElement("td");
        td.textContent = value;
        td.title = value;
        if (i === 3) { td.className = "late"; }
        tr.appendChild(td);
      });
      body.appendChild(tr);
    });
  }

  function drawFigures(data) {
    Object.keys(data.today).forEach(function (key) {
      var el = root.querySelector('[data-figure="' + key + '"]');
      if (!el) { return; }
      var v = data.today[key];
      el.textContent = v === null ? "—" : (key === "satisfaction_rate" ? v + "%" : String(v));
    });
  }

  function status(message) { text(root.querySelector("[data-status]"), message || ""); }

  function load() {
    return fetch(d.api, {credentials: "same-origin", headers: {Accept: "application/json"}})
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
      .then(function (data) {
        latest = data;
        text(root.querySelector("[data-screen-title]"), data.area.name);
        drawFigures(data);
        drawTrend(data);
        drawRanking(data);
        drawOverdue(data);
        styleGrids();
        root.setAttribute("data-loaded", data.generated_at);
        status("");
      })
      .catch(function () { status(d.labelError); });
  }

  tick();
  setInterval(tick, 1000);
  drawMap();
  load();
  var every = Math.max(1, parseInt(d.refresh, 10) || 60) * 1000;
  setInterval(load, every);
  window.addEventListener("resize", function () {
    if (trendChart) { trendChart.resize(); }
    if (rankChart) { rankChart.resize(); }
    if (map) { map.invalidateSize(); }
  });
})();
