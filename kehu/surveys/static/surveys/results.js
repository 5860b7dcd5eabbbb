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
  // NPS (−100…100) or CSAT (%) per month or week; a period without answers is a gap.
  const trendData = document.getElementById("survey-trends");
  const trends = trendData ? JSON.parse(trendData.textContent) : {};
  document.querySelectorAll("[data-trend]").forEach((node) => {
    const trend = trends[node.dataset.trend];
    if (!trend) return;
    const plot = window.echarts.init(node);
    const nps = trend.measure === "NPS";
    plot.setOption({
      tooltip: {
        trigger: "axis",
        formatter: (items) => items.map((i) => `${i.axisValue}<br>${trend.measure} ${i.value ?? "—"} (n=${trend.answers[i.dataIndex]})`).join(""),
      },
      grid: { left: 10, right: 20, top: 20, bottom: 10, containLabel: true },
      xAxis: { type: "category", data: trend.labels },
      yAxis: { type: "value", min: nps ? -100 : 0, max: 100, name: trend.measure },
      series: [{ type: "line", data: trend.values, connectNulls: false, itemStyle: { color: "#1d4ed8" }, label: { show: true } }],
    });
    plots.push(plot);
  });
  window.addEventListener("resize", () => plots.forEach((p) => p.resize()));
});
