/* Dashboard charts, drawn from the data tables already in the page.
   Why from the tables: the page works without JavaScript (the tables are the content) and the
   chart can never disagree with the table beside it. Each placeholder `[data-chart-for=ID]` is
   filled with a Chart.js canvas drawn from table #ID: labels from `data-label-col`, values from
   the `data-value` attributes of the `data-value-col` column. */
(function () {
  "use strict";
  if (typeof window.Chart === "undefined") { return; }
  var COLOURS = ["#b50909", "#e66f0e", "#ffbe2e", "#00a398", "#2672de", "#162e51"];
  /* A finding's bar in its severity's colour (the table's words: .severity--error, --warning): one blue for all
     drew the errors the table puts first as the shortest, plainest bars under the advice. */
  var SEVERITY_COLOURS = {error: "#b50909", warning: "#c98b00", info: "#2672de"};

  function cellText(cell) { return (cell.textContent || "").trim(); }

  function readTable(table) {
    var labelCol = parseInt(table.getAttribute("data-label-col") || "0", 10);
    var valueCol = parseInt(table.getAttribute("data-value-col") || "1", 10);
    var labels = [], values = [], severities = [];
    Array.prototype.forEach.call(table.tBodies[0].rows, function (row) {
      var cells = row.cells;
      if (cells.length <= valueCol) { return; }
      var raw = cells[valueCol].getAttribute("data-value");
      if (raw === null || raw === "") { return; }
      labels.push(cellText(cells[labelCol]));
      values.push(parseFloat(raw));
      severities.push(row.getAttribute("data-severity"));
    });
    var header = table.tHead ? cellText(table.tHead.rows[0].cells[valueCol]) : "";
    return {labels: labels, values: values, header: header, severities: severities};
  }

  function draw(holder) {
    var table = document.getElementById(holder.getAttribute("data-chart-for"));
    if (!table) { return; }
    var d = readTable(table);
    if (!d.values.length) { return; }
    var kind = table.getAttribute("data-chart") || "bar";
    var canvas = document.createElement("canvas");
    canvas.setAttribute("role", "img");
    var caption = table.caption ? cellText(table.caption) : d.header;
    canvas.setAttribute("aria-label", caption);
    var box = document.createElement("div");
    box.className = "dash-chart__box";
    box.style.position = "relative";
    box.style.height = kind === "hbar" ? Math.max(160, 28 * d.values.length + 40) + "px" : "260px";
    box.appendChild(canvas);
    holder.appendChild(box);
    var line = kind === "line";
    var bars = "#2672de";
    if (kind === "bar" && d.values.length === 6) {
      bars = COLOURS;
    } else if (d.severities.length && d.severities.every(function (s) { return SEVERITY_COLOURS[s]; })) {
      bars = d.severities.map(function (s) { return SEVERITY_COLOURS[s]; });
    }
    var dataset = {label: d.header, data: d.values, borderColor: "#2672de",
                   backgroundColor: line ? "rgba(38,114,222,0.2)" : bars,
                   fill: line, tension: 0.2, pointRadius: 3};
    holder.chart = new window.Chart(canvas, {
      type: line ? "line" : "bar",
      data: {labels: d.labels, datasets: [dataset]},
      options: {indexAxis: kind === "hbar" ? "y" : "x", responsive: true, maintainAspectRatio: false,
                animation: false, plugins: {legend: {display: false}, title: {display: true, text: caption}},
                scales: {x: {beginAtZero: true}, y: {beginAtZero: true}}}
    });
    holder.setAttribute("data-chart-drawn", "true");
  }

  function start() { Array.prototype.forEach.call(document.querySelectorAll("[data-chart-for]"), draw); }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
}());
