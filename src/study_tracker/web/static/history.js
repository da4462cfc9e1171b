// Draws the History page charts with ECharts from the JSON the server embeds in the page.
document.addEventListener("DOMContentLoaded", () => {
  const data = JSON.parse(document.getElementById("history-data").textContent);
  // The page's theme (static/theme.js): an explicit pick, else the system's.
  const theme = document.documentElement.dataset.theme;
  const dark = theme ? theme === "dark" : window.matchMedia("(prefers-color-scheme: dark)").matches;
  const scale = dark
    ? ["#262c38", "#0e4429", "#006d32", "#26a641", "#39d353"]
    : ["#ebedf0", "#9be9a8", "#40c463", "#30a14e", "#216e39"];
  const heat = echarts.init(document.getElementById("heatmap"), null, { renderer: "svg" });
  heat.setOption({
    tooltip: { formatter: (p) => `${p.value[0]}: ${p.value[1]} (topics + reviews)` },
    visualMap: { min: 0, max: Math.max(4, data.max), show: false, inRange: { color: scale } },
    calendar: { range: [data.from, data.to], cellSize: ["auto", 13], top: 30, left: 40, right: 10, yearLabel: { show: false }, dayLabel: { firstDay: 1, nameMap: "en" }, splitLine: { show: false } },
    series: [{ type: "heatmap", coordinateSystem: "calendar", data: data.activity }],
  });
  const fc = echarts.init(document.getElementById("forecast"), null, { renderer: "svg" });
  fc.setOption({
    tooltip: { trigger: "axis" },
    grid: { left: 40, right: 10, top: 20, bottom: 40 },
    xAxis: { type: "category", data: data.forecast.map((d) => d[0].slice(5)) },
    yAxis: { type: "value", minInterval: 1 },
    series: [{ type: "bar", name: "reviews due", data: data.forecast.map((d) => d[1]) }],
  });
  const load = echarts.init(document.getElementById("load-forecast"), null, { renderer: "svg" });
  load.setOption({
    tooltip: { trigger: "axis" },
    legend: { top: 0 },
    grid: { left: 40, right: 40, top: 30, bottom: 40 },
    xAxis: { type: "category", data: data.load.map((d) => d[0].slice(5)) },
    yAxis: [{ type: "value", minInterval: 1, name: "reviews" }, { type: "value", name: "min" }],
    series: [
      { type: "bar", name: "reviews", data: data.load.map((d) => d[1]) },
      { type: "line", name: "minutes", yAxisIndex: 1, data: data.load.map((d) => d[2]) },
    ],
  });
  const curve = echarts.init(document.getElementById("retention-curve"), null, { renderer: "svg" });
  curve.setOption({
    tooltip: { trigger: "axis", valueFormatter: (v) => (v == null ? "-" : `${Math.round(v * 100)}%`) },
    grid: { left: 40, right: 10, top: 20, bottom: 40 },
    xAxis: { type: "category", data: data.curve.map((d) => d[0].slice(5)) },
    yAxis: { type: "value", min: 0, max: 1, axisLabel: { formatter: (v) => `${v * 100}%` } },
    series: [{
      type: "line", name: "recall", showSymbol: false, connectNulls: false,
      data: data.curve.map((d) => d[1]),
      markLine: { symbol: "none", data: [{ xAxis: data.today.slice(5) }] },
    }],
  });
  window.addEventListener("resize", () => { heat.resize(); fc.resize(); load.resize(); curve.resize(); });
});
