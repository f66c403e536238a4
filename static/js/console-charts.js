// Charts of the console pages (Chart.js 4 + annotation plugin, vendored). No inline script:
// a projected-inventory chart reads its series from data-chart-url; a KPI chart reads a
// json_script block named by data-kpi-chart.
"use strict";

(function () {
  var me = document.currentScript;
  if (window.weftChartsLoaded) {
    if (window.weftChartsDraw) { window.weftChartsDraw(document); }
    return;
  }
  window.weftChartsLoaded = true;
  var chartSrc = me && me.dataset.chartSrc;
  var annotationSrc = me && me.dataset.annotationSrc;

  var palette = ["#206bc4", "#d63939", "#2fb344", "#f59f00", "#ae3ec9", "#17a2b8", "#667382", "#f76707"];

  function projected(box) {
    if (box.dataset.drawn) { return; }
    box.dataset.drawn = "1";
    fetch(box.dataset.chartUrl, { credentials: "same-origin" })
      .then(function (response) { return response.json(); })
      .then(function (data) {
        if (!data.labels || !data.labels.length) {
          box.textContent = "No MRP record yet.";
          return;
        }
        var safety = data.safety_stock;
        new window.Chart(box.querySelector("canvas"), {
          data: {
            labels: data.labels,
            datasets: [
              { type: "line", label: "Projected on hand", data: data.projected, stepped: "after",
                borderColor: "#206bc4", pointRadius: 0, borderWidth: 2,
                fill: { target: { value: safety }, above: "rgba(32,107,196,0.06)", below: "rgba(214,57,57,0.25)" } },
              { type: "bar", label: "Receipts", data: data.receipts, backgroundColor: "rgba(47,179,68,0.6)" },
              { type: "bar", label: "Requirements", data: data.gross.map(function (v) { return -v; }), backgroundColor: "rgba(245,159,0,0.6)" }
            ]
          },
          options: {
            maintainAspectRatio: false,
            animation: false,
            interaction: { mode: "index", intersect: false },
            plugins: {
              annotation: { annotations: { safety: { type: "line", yMin: safety, yMax: safety, borderColor: "#d63939", borderDash: [6, 4], borderWidth: 1,
                label: { display: true, content: "Safety stock " + safety, position: "start", font: { size: 10 } } } } }
            }
          }
        });
      });
  }

  function kpi(canvas) {
    if (canvas.dataset.drawn) { return; }
    canvas.dataset.drawn = "1";
    var source = document.getElementById(canvas.dataset.kpiChart);
    if (!source) { return; }
    var spec = JSON.parse(source.textContent);
    var datasets = spec.series.map(function (series, index) {
      return { label: series.label, data: series.data, backgroundColor: palette[index % palette.length], borderColor: palette[index % palette.length] };
    });
    new window.Chart(canvas, {
      type: spec.type || "bar",
      data: { labels: spec.labels, datasets: datasets },
      options: {
        maintainAspectRatio: false, animation: false, indexAxis: spec.horizontal ? "y" : "x",
        scales: spec.stacked ? { x: { stacked: true }, y: { stacked: true } } : {},
        plugins: { legend: { display: datasets.length > 1 } }
      }
    });
  }

  function load(src, done) {
    var script = document.createElement("script");
    script.src = src;
    script.onload = done;
    document.head.appendChild(script);
  }

  // Chart.js, then its annotation plugin, loaded once and in order (a panel swapped in by htmx
  // runs its scripts in no particular order, so the page does not rely on script order).
  var waiting = [];
  var loading = false;
  function withChart(callback) {
    if (window.Chart) { callback(); return; }
    waiting.push(callback);
    if (loading || !chartSrc) { return; }
    loading = true;
    load(chartSrc, function () {
      var finish = function () { waiting.splice(0).forEach(function (fn) { fn(); }); };
      if (annotationSrc) { load(annotationSrc, finish); } else { finish(); }
    });
  }

  function drawAll(root) {
    withChart(function () {
      root.querySelectorAll("[data-chart-url]").forEach(projected);
      root.querySelectorAll("canvas[data-kpi-chart]").forEach(kpi);
    });
  }
  window.weftChartsDraw = drawAll;

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { drawAll(document); });
  } else {
    drawAll(document);
  }
  document.addEventListener("htmx:afterSettle", function (event) { drawAll(event.target); });
})();
