/* Dashboard charts (Chart.js, vendored; no inline scripts under the CSP).
 *
 * Draws every <canvas data-chart-source="ID"> from the JSON in
 * <script type="application/json" id="ID">:
 *   {"type": "bar" | "line", "horizontal": bool, "labels": [...],
 *    "series": [{"label": "...", "data": [number | null, ...]}, ...],
 *    "unit": "원" | "%" | "", "max": number | null}
 * The canvas sits in a box that is hidden until a chart is drawn; the page carries the
 * same figures in a table, so nothing is lost without JavaScript. That table sits in an
 * open <details class="chart-table"> of the chart's section: once the chart is drawn it
 * is folded, one click ("표로 보기", Show as table) away.
 */
(function () {
  "use strict";

  if (typeof window.Chart === "undefined") {
    return;
  }

  // Each colour has at least 5.8:1 contrast on white (WCAG 1.4.11 asks 3:1), and the
  // first two (blue, brown) stay apart for the common kinds of colour blindness.
  var COLOURS = ["#0b5ed7", "#8a4b00", "#146c43", "#6f42c1", "#b02a37"];
  var LANG = document.documentElement.lang || undefined;
  var REDUCED_MOTION = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;

  function format(value, unit) {
    if (value === null || value === undefined) {
      return "—";
    }
    if (unit === "%") {
      return Number(value).toLocaleString(LANG, { maximumFractionDigits: 1 }) + "%";
    }
    return Number(value).toLocaleString(LANG, { maximumFractionDigits: 2 }) + (unit || "");
  }

  function datasets(data) {
    var line = data.type === "line";
    return (data.series || []).map(function (series, index) {
      var colour = COLOURS[index % COLOURS.length];
      return {
        label: series.label,
        data: series.data,
        borderColor: colour,
        backgroundColor: colour,
        borderWidth: line ? 2 : 0,
        pointRadius: line ? 3 : 0,
        maxBarThickness: 28,
        tension: 0.1,
        spanGaps: false
      };
    });
  }

  function valueAxis(data) {
    var axis = {
      beginAtZero: true,
      ticks: { callback: function (value) { return format(value, data.unit); } }
    };
    if (typeof data.max === "number") {
      axis.max = data.max;
    }
    return axis;
  }

  function draw(canvas) {
    var source = document.getElementById(canvas.getAttribute("data-chart-source"));
    if (!source) {
      return;
    }
    var data;
    try {
      data = JSON.parse(source.textContent);
    } catch (error) {
      return;
    }
    var box = canvas.closest("[hidden]");
    if (box) {
      box.hidden = false;
    }
    var section = canvas.closest("section");
    var table = section && section.querySelector("details.chart-table");
    if (table) {
      table.open = false;
    }
    var horizontal = Boolean(data.horizontal);
    if (horizontal) {
      // One row per label: the chart grows with the list instead of stretching bars.
      var rows = (data.labels || []).length * Math.max((data.series || []).length, 1);
      canvas.parentNode.style.position = "relative";
      canvas.parentNode.style.height = (100 + 26 * rows) + "px";
    }
    var scales = {};
    scales[horizontal ? "x" : "y"] = valueAxis(data);
    var options = {
      responsive: true,
      maintainAspectRatio: !horizontal,
      indexAxis: horizontal ? "y" : "x",
      interaction: { mode: "index", intersect: false },
      scales: scales,
      plugins: {
        legend: { display: true },
        tooltip: {
          callbacks: {
            label: function (context) {
              var value = horizontal ? context.parsed.x : context.parsed.y;
              return context.dataset.label + ": " + format(value, data.unit);
            }
          }
        }
      }
    };
    if (REDUCED_MOTION) {
      options.animation = false;
    }
    new window.Chart(canvas, {
      type: data.type === "line" ? "line" : "bar",
      data: { labels: data.labels, datasets: datasets(data) },
      options: options
    });
  }

  document.querySelectorAll("canvas[data-chart-source]").forEach(draw);
})();
