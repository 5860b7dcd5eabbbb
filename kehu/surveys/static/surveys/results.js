// Per-question answer distributions (ECharts bars); data from a JSON script element.
document.addEventListener("DOMContentLoaded", () => {
  const data = document.getElementById("survey-charts");
  if (!data || !window.echarts) return;
  const charts = JSON.parse(data.textContent);
  const plots = [];
  document.querySelectorAll("[data-chart]").forEach((node) => {
    const chart = charts[node.dataset.chart];
    if (!chart) return;
    const plot = window.echarts.init(node);
    plot.setOption({
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      grid: { left: 10, right: 20, top: 10, bottom: 10, containLabel: true },
      xAxis: { type: "value", minInterval: 1 },
      yAxis: { type: "category", data: chart.labels, inverse: true },
      series: [{ type: "bar", data: chart.values, itemStyle: { color: "#1d4ed8" }, label: { show: true, position: "right" } }],
    });
    plots.push(plot);
  });
  window.addEventListener("resize", () => plots.forEach((p) => p.resize()));
});
