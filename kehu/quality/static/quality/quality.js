// The data-quality charts (ECharts): the headline shares over time, completeness per field.
document.addEventListener("DOMContentLoaded", () => {
  const data = document.getElementById("quality-data");
  if (!data || !window.echarts) return;
  const chart = JSON.parse(data.textContent);
  const plots = [];
  const trendNode = document.getElementById("quality-trend");
  if (trendNode) {
    const trend = window.echarts.init(trendNode);
    const keys = ["completeness", "validity", "consistency", "stale"];
    const colors = { completeness: "#1d4ed8", validity: "#047857", consistency: "#7c3aed", stale: "#b45309" };
    trend.setOption({
      tooltip: { trigger: "axis", valueFormatter: (v) => (v == null ? "—" : `${v}%`) },
      legend: { top: 0, data: keys.map((k) => chart.names[k]) },
      grid: { left: 40, right: 20, top: 40, bottom: 30, containLabel: true },
      xAxis: { type: "category", data: chart.dates },
      yAxis: { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } },
      series: keys.map((k) => ({
        name: chart.names[k], type: "line", data: chart.series[k], showSymbol: true, itemStyle: { color: colors[k] },
      })),
    });
    plots.push(trend);
  }
  const fieldsNode = document.getElementById("quality-fields");
  if (fieldsNode) {
    const fields = window.echarts.init(fieldsNode);
    fields.setOption({
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, valueFormatter: (v) => (v == null ? "—" : `${v}%`) },
      grid: { left: 10, right: 30, top: 10, bottom: 20, containLabel: true },
      xAxis: { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } },
      yAxis: { type: "category", data: chart.fields.labels, inverse: true },
      series: [{ name: chart.names.completeness, type: "bar", data: chart.fields.values, itemStyle: { color: "#1d4ed8" } }],
    });
    plots.push(fields);
  }
  window.addEventListener("resize", () => plots.forEach((p) => p.resize()));
});
