// Skills page: mastery per skill as horizontal bars, with the goal's target as a second series.
document.addEventListener("DOMContentLoaded", () => {
  const el = document.getElementById("skills-chart");
  if (!el) return;
  const data = JSON.parse(document.getElementById("skills-data").textContent);
  el.style.height = `${60 + 26 * Number(el.dataset.rows || 0)}px`; // CSSOM: allowed by the CSP
  const chart = echarts.init(el, null, { renderer: "svg" });
  const series = [{ type: "bar", name: "mastery", data: data.mastery, label: { show: true, position: "right", formatter: (p) => p.value.toFixed(2) } }];
  if (data.target.length) {
    series.push({ type: "line", name: "target", data: data.target, symbol: "none", lineStyle: { type: "dashed", color: "#c0392b" } });
  }
  chart.setOption({
    tooltip: { trigger: "axis" },
    legend: { top: 0 },
    grid: { left: 10, right: 40, top: 30, bottom: 10, containLabel: true },
    xAxis: { type: "value", min: 0, max: 1 },
    yAxis: { type: "category", data: data.names, inverse: true },
    series,
  });
  el.dataset.rendered = "true";
  window.addEventListener("resize", () => chart.resize());
});
