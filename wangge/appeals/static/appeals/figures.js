// The figures page's ranking chart (ECharts), drawn from #ranking-chart's data-chart; again after htmx swaps.
(function () {
  "use strict";
  function rankingChart() {
    var el = document.getElementById("ranking-chart");
    if (!el || !window.echarts) { return; }
    var data = JSON.parse(el.dataset.chart);
    var chart = echarts.getInstanceByDom(el) || echarts.init(el);
    chart.setOption({
      grid: {left: 90, right: 20, top: 10, bottom: 20},
      xAxis: {type: "value", max: 100},
      yAxis: {type: "category", data: data.names, inverse: true},
      series: [{type: "bar", data: data.scores, itemStyle: {color: "#c8102e"}, label: {show: true, position: "right"}}]
    });
  }
  window.wanggeRankingChart = rankingChart;
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", rankingChart); } else { rankingChart(); }
  document.body.addEventListener("htmx:afterSettle", rankingChart);
})();
