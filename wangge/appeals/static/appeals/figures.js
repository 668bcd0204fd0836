// The figures page: its ECharts charts (data in each chart element's data-chart), the Leaflet map of the child
// areas coloured by the chosen rate (click one to drill down) and the area picker that submits on change.
(function () {
  "use strict";
  var RED = "#c8102e", BLUE = "#0b57d0", GREY = "#5f6368", ORANGE = "#ed6c02";
  // Map classes: ≥90, 80–90, 60–80, <60 (%), then 样本不足 and 无数据 (same colours as figures.css).
  var CLASS_COLOURS = ["#1a7f37", "#7cb342", "#f9a825", "#c62828"];
  var FEW = "#9e9e9e", NONE = "#eeeeee";
  var BOUNDS = [90, 80, 60, 0];

  function data(el) {
    try { return JSON.parse(el.dataset.chart || "{}"); } catch (e) { return {}; }
  }

  function chart(id, option) {
    var el = document.getElementById(id);
    if (!el || !window.echarts) { return null; }
    if (el.dataset.height) { el.style.height = el.dataset.height + "px"; }
    var c = echarts.getInstanceByDom(el) || echarts.init(el);
    c.setOption(option(data(el)));
    return c;
  }

  var charts = [];
  function drawAll() {
    charts = [];
    charts.push(chart("trend-chart", function (d) {
      return {
        tooltip: {trigger: "axis"},
        legend: {top: 0, data: ["上报", "结案", "超期", "按期结案率"]},
        grid: {left: 36, right: 36, top: 40, bottom: 24},
        xAxis: {type: "category", data: d.months || [], axisLabel: {formatter: function (v) { return v.slice(2); }}},
        yAxis: [{type: "value", minInterval: 1}, {type: "value", max: 100, axisLabel: {formatter: "{value}%"}}],
        series: [
          {name: "上报", type: "bar", data: d.reported || [], itemStyle: {color: BLUE}},
          {name: "结案", type: "bar", data: d.closed || [], itemStyle: {color: "#1a7f37"}},
          {name: "超期", type: "bar", data: d.overdue || [], itemStyle: {color: RED}},
          {name: "按期结案率", type: "line", yAxisIndex: 1, connectNulls: false, data: d.on_time || [], itemStyle: {color: ORANGE}}
        ]
      };
    }));
    charts.push(chart("category-chart", function (d) {
      return {
        tooltip: {trigger: "item"},
        series: [{type: "pie", radius: ["35%", "65%"], label: {formatter: "{b}\n{c}"},
          data: (d.names || []).map(function (n, i) { return {name: n, value: d.counts[i]}; })}]
      };
    }));
    charts.push(chart("channel-chart", function (d) {
      return {
        tooltip: {trigger: "axis"},
        grid: [{left: 96, right: 16, top: 10, height: "38%"}, {left: 36, right: 16, top: "62%", bottom: 24}],
        title: [{text: "12345热线月度件数", top: "52%", left: 0, textStyle: {fontSize: 12, color: GREY}}],
        xAxis: [{type: "value", gridIndex: 0, minInterval: 1},
          {type: "category", gridIndex: 1, data: d.months || [], axisLabel: {formatter: function (v) { return v.slice(2); }}}],
        yAxis: [{type: "category", gridIndex: 0, inverse: true, data: d.names || []},
          {type: "value", gridIndex: 1, minInterval: 1}],
        series: [
          {type: "bar", xAxisIndex: 0, yAxisIndex: 0, data: d.counts || [], itemStyle: {color: BLUE}, label: {show: true, position: "right"}},
          {name: "12345", type: "line", xAxisIndex: 1, yAxisIndex: 1, data: d.hotline || [], itemStyle: {color: RED}}
        ]
      };
    }));
    charts.push(chart("unit-chart", function (d) {
      return {
        tooltip: {trigger: "axis"},
        legend: {top: 0, data: ["件数", "按期结案率"]},
        grid: {left: 96, right: 40, top: 30, bottom: 20},
        yAxis: {type: "category", inverse: true, data: d.names || []},
        xAxis: [{type: "value", minInterval: 1}, {type: "value", max: 100, show: false}],
        series: [
          {name: "件数", type: "bar", data: d.counts || [], itemStyle: {color: BLUE}},
          {name: "按期结案率", type: "bar", xAxisIndex: 1, data: d.on_time || [], itemStyle: {color: "#1a7f37"},
            label: {show: true, position: "right", formatter: function (p) { return p.value == null ? "" : p.value + "%"; }}}
        ]
      };
    }));
    charts.push(chart("ranking-chart", function (d) {
      return {
        grid: {left: 90, right: 30, top: 10, bottom: 20},
        xAxis: {type: "value", max: 100},
        yAxis: {type: "category", data: d.names || [], inverse: true},
        series: [{type: "bar", data: d.scores || [], itemStyle: {color: RED}, label: {show: true, position: "right"}}]
      };
    }));
  }

  function colourOf(info) {
    if (!info || info.sample === 0 || info.value === null || info.value === undefined) {
      return info && info.insufficient && info.sample > 0 ? FEW : NONE;
    }
    if (info.insufficient) { return FEW; }
    for (var i = 0; i < BOUNDS.length; i++) {
      if (info.value >= BOUNDS[i]) { return CLASS_COLOURS[i]; }
    }
    return CLASS_COLOURS[CLASS_COLOURS.length - 1];
  }

  function label(info, name) {
    if (!info) { return name + "：无数据"; }
    if (info.insufficient) { return name + "：样本不足（n=" + info.sample + "）"; }
    if (info.value === null || info.value === undefined) { return name + "：无数据"; }
    return name + "：" + info.value + "%（n=" + info.sample + "）";
  }

  function areaMap() {
    var el = document.getElementById("area-map");
    if (!el || !window.L || el.dataset.ready) { return; }
    el.dataset.ready = "1";
    var rates = {};
    try { rates = JSON.parse(el.dataset.rates || "{}"); } catch (e) { rates = {}; }
    var map = window.WanggeMap ? WanggeMap.create(el) : L.map(el);
    if (!window.WanggeMap && el.dataset.tileUrl) { L.tileLayer(el.dataset.tileUrl, {maxZoom: 19}).addTo(map); }
    fetch(el.dataset.geojson, {credentials: "same-origin", headers: {Accept: "application/json"}})
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
      .then(function (fc) {
        var layer = L.geoJSON(fc, {
          style: function (f) {
            var code = f.properties.code;
            return {color: "#333", weight: 1, fillOpacity: 0.7, fillColor: colourOf(rates[code]), className: "area-" + code};
          },
          onEachFeature: function (f, lyr) {
            var code = f.properties.code;
            lyr.bindTooltip(label(rates[code], f.properties.name));
            lyr.on("click", function () { window.location.href = el.dataset.drill + encodeURIComponent(code); });
          }
        }).addTo(map);
        var b = layer.getBounds();
        if (b.isValid()) { map.fitBounds(b, {padding: [8, 8]}); } else { map.setView([32.5, 120.4], 11); }
        el.dataset.loaded = String(fc.features.length);
      })
      .catch(function () {
        el.dataset.loaded = "error";
        var p = document.createElement("p");
        p.className = "errors msg error";
        p.setAttribute("role", "alert");
        p.textContent = "地图边界加载失败";
        el.parentNode.insertBefore(p, el.nextSibling);
      });
  }

  function autosubmit() {
    var sel = document.querySelector("#figures-form select[data-autosubmit]");
    if (!sel || sel.dataset.bound) { return; }
    sel.dataset.bound = "1";
    sel.addEventListener("change", function () { sel.form.submit(); });
  }

  function init() { drawAll(); areaMap(); autosubmit(); }
  window.wanggeRankingChart = drawAll;
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", init); } else { init(); }
  window.addEventListener("resize", function () { charts.forEach(function (c) { if (c) { c.resize(); } }); });
})();
