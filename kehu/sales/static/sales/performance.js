// The sales-performance chart: revenue and payments collected per rep or team (ECharts).
document.addEventListener("DOMContentLoaded", () => {
  const node = document.getElementById("perf-chart");
  const data = document.getElementById("perf-data");
  if (!node || !data || !window.echarts) return;
  const chart = JSON.parse(data.textContent);
  const plot = window.echarts.init(node);
  plot.setOption({
    tooltip: { trigger: "axis" },
    legend: { top: 0, data: [chart.names.revenue, chart.names.collected] },
    grid: { left: 80, right: 20, top: 40, bottom: 30, containLabel: true },
    xAxis: { type: "category", data: chart.labels },
    yAxis: { type: "value" },
    series: [
      { name: chart.names.revenue, type: "bar", data: chart.revenue.map(Number), itemStyle: { color: "#1d4ed8" } },
      { name: chart.names.collected, type: "bar", data: chart.collected.map(Number), itemStyle: { color: "#047857" } },
    ],
  });
  window.addEventListener("resize", () => plot.resize());
});
