// Draws the quality charts of a project page with Chart.js (vendored, served by the server).
// The data is the page's JSON block; the same figures are in the table below the charts.
"use strict";
window.addEventListener("DOMContentLoaded", function () {
  var block = document.getElementById("quality-data");
  if (!block || typeof window.Chart !== "function") { return; }
  var series = JSON.parse(block.textContent);
  var labels = series.map(function (r) { return r.version; });
  var common = { responsive: true, maintainAspectRatio: false, animation: false };
  // A release without the figure is a gap, except in coverage and tests (measured by every
  // release that ran its tests).
  function line(id, label, values, colour, y) {
    return new window.Chart(document.getElementById(id), {
      type: "line",
      data: { labels: labels, datasets: [{ label: label, data: values, borderColor: colour,
        backgroundColor: colour, spanGaps: !y }] },
      options: Object.assign({ scales: { y: y || { min: 0, max: 100 } } }, common),
    });
  }
  line("chart-coverage", "coverage %", series.map(function (r) { return r.coverage; }), "#0550ae");
  line("chart-tests", "tests passing %", series.map(function (r) { return r.testPassRate; }),
    "#1a7f37");
  line("chart-latency", "p95 ms", series.map(function (r) { return r.loadP95Ms; }), "#8250df",
    { min: 0 });
  line("chart-errors", "error rate %", series.map(function (r) { return r.errorRate; }),
    "#cf222e", { min: 0, suggestedMax: 1 });
  line("chart-availability", "availability %",
    series.map(function (r) { return r.chaosAvailability; }), "#1a7f37", { suggestedMin: 99, max: 100 });
  var colours = { CRITICAL: "#82071e", HIGH: "#cf222e", MEDIUM: "#bf8700", LOW: "#57606a",
    NONE: "#8c959f", UNKNOWN: "#d0d7de" };
  var severities = Object.keys(colours);
  new window.Chart(document.getElementById("chart-findings"), {
    type: "bar",
    data: { labels: labels, datasets: severities.map(function (s) {
      return { label: s, data: series.map(function (r) { return r.findings[s]; }),
        backgroundColor: colours[s] };
    }) },
    options: Object.assign({ scales: { x: { stacked: true },
      y: { stacked: true, min: 0, ticks: { precision: 0 } } } },
      common),
  });
});
