/* The cockpit's charts (Apache ECharts, served by the app). Every number is on the page as HTML already: this
   script only draws, from the json_script data, and does nothing if ECharts did not load. */
(function () {
  "use strict";
  var root = document.getElementById("cockpit");
  if (!root) return;
  var screen = root.classList.contains("screen");
  if (screen) {
    document.body.classList.add("cockpit-screen");
    setTimeout(function () { location.reload(); }, 5 * 60 * 1000); // a wall display keeps itself current
  }
  if (typeof echarts === "undefined") return;

  function data(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }
  var labels = data("cockpit-labels") || {};
  var charts = [];
  var ink = screen ? "#e6edf5" : "#1f2328";
  var muted = screen ? "#9fb0c3" : "#5f6b76";
  var line = screen ? "#2a3f5c" : "#d9dee3";

  function escape(text) {
    return String(text).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  function start(id) {
    var el = document.getElementById(id);
    if (!el) return null;
    el.hidden = false;
    var chart = echarts.init(el, null, { renderer: "canvas" });
    charts.push(chart);
    return chart;
  }

  function narrow() { return window.innerWidth < 560; }

  // a. the tree, each unit coloured by its latest grade
  var tree = data("cockpit-tree");
  var treeChart = tree && tree.length ? start("chart-tree") : null;

  // dark text on light sectors (grey "no grade", amber), white on dark ones
  function textOn(hex) {
    var n = parseInt(String(hex).slice(1), 16);
    if (isNaN(n)) return "#fff";
    var lum = (0.299 * (n >> 16) + 0.587 * ((n >> 8) & 255) + 0.114 * (n & 255)) / 255;
    return lum > 0.62 ? "#1f2328" : "#fff";
  }
  // the chart's short name (简称): "中共城关街道工作委员会" → "城关街道"; the full name is in the tooltip and the table
  function shortName(name) {
    var cut = String(name)
      .replace(/^中共/, "")
      .replace(/(工作委员会|委员会|党工委|党委|党总支|总支部|总支|党支部|支部)$/, "");
    return cut.length >= 2 ? cut : String(name);
  }

  // each sector: its text colour, and its label without the start it shares with its parent's
  // ("永安社区第一党支部" under "永安社区党总支" → "第一")
  (function paint(nodes, parent) {
    (nodes || []).forEach(function (node) {
      var short = shortName(node.name);
      var same = 0;
      while (same < parent.length && same < short.length && parent[same] === short[same]) same++;
      if (same >= 2 && short.length - same >= 2) short = short.slice(same);
      node.short = short;
      node.label = { color: textOn(node.itemStyle && node.itemStyle.color) };
      paint(node.children, shortName(node.name));
    });
  })(tree, "");

  var deepest = 0;
  (function walk(nodes) {
    (nodes || []).forEach(function (node) { deepest = Math.max(deepest, node.depth || 0); walk(node.children); });
  })(tree);

  // one ring per level, the centre a little narrower; each label as wide as its ring is deep
  function treeLevels(base) {
    var el = document.getElementById("chart-tree");
    var radius = Math.min(el.clientWidth, el.clientHeight) / 2; // what the rings' percentages are of
    var rings = Math.min(deepest + 1, 4);
    // thickness of each ring in % of the radius: the streets' ring widest, their names matter most
    var widths = [[96], [34, 62], [24, 40, 32], [18, 34, 24, 20]][rings - 1];
    var levels = [{}]; // the first entry is the chart's invisible root
    var r0 = 0;
    for (var i = 0; i < rings; i++) {
      var r = r0 + widths[i];
      var room = (widths[i] / 100) * radius * (i === 0 ? 2 : 1) + 2;
      var label = i === 0
        ? { rotate: 0, fontWeight: "bold", width: Math.max(room, 30), overflow: "break" }
        : { rotate: "radial", width: Math.max(room, 24) };
      if (i >= 2) label.fontSize = base - 1;
      levels.push({ r0: r0 + "%", r: r + "%", label: label });
      r0 = r;
    }
    return levels;
  }

  function treeOption() {
    var small = narrow();
    var base = screen ? 16 : small ? 11 : 13;
    return {
      backgroundColor: "transparent",
      tooltip: {
        confine: true,
        formatter: function (p) {
          var d = p.data || {};
          var grade = d.grade
            ? escape(labels.grade) + ": <b>" + escape(d.grade) + "</b>" +
              (d.rank ? " · " + escape(labels.rank) + " " + d.rank : "")
            : escape(labels.no_grade);
          return "<b>" + escape(d.name) + "</b><br>" + escape(d.kind || "") + "<br>" + grade;
        },
      },
      series: [{
        type: "sunburst",
        data: tree,
        radius: [0, "96%"],
        sort: null,
        nodeClick: false,
        emphasis: { focus: "ancestor" },
        itemStyle: { borderColor: screen ? "#13233b" : "#fff", borderWidth: 1.5 },
        label: {
          fontSize: base, minAngle: small ? 12 : 8, overflow: "truncate", ellipsis: "…",
          formatter: function (p) { return (p.data && p.data.short) || shortName(p.name); },
        },
        levels: treeLevels(base),
      }],
    };
  }
  if (treeChart) {
    treeChart.setOption(treeOption());
    treeChart.on("click", function (p) {
      if (p.data && p.data.url) location.href = p.data.url;
    });
  }

  // c. overdue and escalated obligations per unit below the root
  var bars = data("cockpit-obligations");
  var barEl = document.getElementById("chart-obligations");
  var barChart = null;
  if (bars && bars.names.length && barEl) {
    // one row per unit, tall enough to read and tap
    barEl.style.height = Math.max(160, bars.names.length * (screen ? 44 : 34) + 70) + "px";
    barChart = start("chart-obligations");
    barEl.parentNode.classList.add("charted"); // the big screen then leaves out the table (the same numbers)
  }
  function barOption() {
    var small = narrow();
    var size = screen ? 16 : small ? 12 : 13;
    var most = Math.max.apply(null, bars.overdue.map(function (v, i) { return v + bars.escalated[i]; }).concat([1]));
    var inside = {
      show: true, position: "inside", color: "#fff", fontSize: size - 1,
      // a number only where its segment is wide enough to hold it
      formatter: function (p) { return p.value && p.value / most >= (small ? 0.1 : 0.05) ? p.value : ""; },
    };
    return {
      backgroundColor: "transparent",
      color: ["#e8a317", "#c62828"],
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, confine: true },
      legend: { top: 0, textStyle: { color: ink, fontSize: size } },
      grid: { left: 8, right: 24, top: 34, bottom: 8, containLabel: true },
      xAxis: {
        type: "value", minInterval: 1,
        axisLabel: { color: muted, fontSize: size - 1 }, splitLine: { lineStyle: { color: line } },
      },
      yAxis: {
        type: "category", inverse: true, data: bars.names,
        axisLabel: {
          color: ink, fontSize: size, width: small ? 84 : 150, overflow: "truncate",
          formatter: function (name) { return shortName(name); },
        },
        axisLine: { lineStyle: { color: line } }, axisTick: { show: false },
      },
      series: [
        { name: labels.overdue, type: "bar", stack: "past", data: bars.overdue, barMaxWidth: 26, label: inside },
        { name: labels.escalated, type: "bar", stack: "past", data: bars.escalated, barMaxWidth: 26, label: inside },
      ],
    };
  }
  if (barChart) {
    barChart.setOption(barOption());
    barChart.on("click", function (p) {
      var urls = p.seriesIndex === 1 ? bars.escalated_urls : bars.overdue_urls;
      if (urls[p.dataIndex]) location.href = urls[p.dataIndex];
    });
  }

  // the charts follow the window (and the phone turned on its side)
  var pending = null;
  window.addEventListener("resize", function () {
    if (pending) cancelAnimationFrame(pending);
    pending = requestAnimationFrame(function () {
      charts.forEach(function (c) { c.resize(); });
      // the labels' room follows the chart's size
      if (treeChart) treeChart.setOption(treeOption());
      if (barChart) barChart.setOption(barOption());
    });
  });
})();
