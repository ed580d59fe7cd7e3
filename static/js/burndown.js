/* Pool burn-down charts.
 *
 * Draws every <canvas data-chart-source="ID"> from the JSON in <script type="application/json" id="ID">:
 *   {"labels": ["2025-01", ...], "series": [{"label": "...", "data": [int, ...]}, ...], "unit": "원"}
 * The page carries the same figures in a table, so nothing is lost without JavaScript.
 */
(function () {
  "use strict";

  if (typeof window.Chart === "undefined") {
    return;
  }

  var COLOURS = ["#0d6efd", "#198754", "#fd7e14", "#6f42c1"];

  function money(value, unit) {
    return Number(value).toLocaleString() + (unit || "");
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
    var unit = data.unit || "";
    new window.Chart(canvas, {
      type: "line",
      data: {
        labels: data.labels,
        datasets: (data.series || []).map(function (series, index) {
          return {
            label: series.label,
            data: series.data,
            borderColor: COLOURS[index % COLOURS.length],
            backgroundColor: COLOURS[index % COLOURS.length],
            tension: 0.1,
            pointRadius: 3
          };
        })
      },
      options: {
        responsive: true,
        interaction: { mode: "index", intersect: false },
        scales: {
          y: { beginAtZero: true, ticks: { callback: function (value) { return money(value, unit); } } }
        },
        plugins: {
          tooltip: {
            callbacks: {
              label: function (context) {
                return context.dataset.label + ": " + money(context.parsed.y, unit);
              }
            }
          }
        }
      }
    });
  }

  document.querySelectorAll("canvas[data-chart-source]").forEach(draw);
})();
