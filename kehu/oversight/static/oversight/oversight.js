// The leader dashboard's charts (ECharts): monthly revenue and collections against the target,
// new customers by month, customers by stage, grade and tier, customers at risk. Data comes
// from a JSON script element (no inline scripts); a click opens the customers behind a bar.
document.addEventListener("DOMContentLoaded", () => {
  const data = document.getElementById("oversight-data");
  if (!data || !window.echarts) return;
  const chart = JSON.parse(data.textContent);
  const node = (id) => document.getElementById(id);
  const plots = [];
  const grid = { left: 40, right: 20, top: 30, bottom: 30, containLabel: true };

  if (node("chart-trend")) {
    const trend = window.echarts.init(node("chart-trend"));
    trend.setOption({
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      grid,
      xAxis: { type: "category", data: chart.trend.months },
      yAxis: { type: "value" },
      series: [
        { name: chart.names.revenue, type: "bar", data: chart.trend.revenue, itemStyle: { color: "#1d4ed8" },
          markLine: chart.targets.revenue ? { symbol: "none", data: [{ yAxis: chart.targets.revenue }], lineStyle: { color: "#b45309" } } : undefined },
        { name: chart.names.collected, type: "line", data: chart.trend.collected, itemStyle: { color: "#047857" } },
      ],
    });
    plots.push(trend);
  }
  if (node("chart-new")) {
    const fresh = window.echarts.init(node("chart-new"));
    fresh.setOption({
      tooltip: { trigger: "axis" }, grid,
      xAxis: { type: "category", data: chart.trend.months }, yAxis: { type: "value", minInterval: 1 },
      series: [{ name: chart.names.new, type: "line", data: chart.trend.new, areaStyle: { opacity: 0.15 }, itemStyle: { color: "#7c3aed" } }],
    });
    plots.push(fresh);
  }
  const bars = (id, rows, drill, color) => {
    if (!node(id)) return;
    const plot = window.echarts.init(node(id));
    plot.setOption({
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } }, grid,
      xAxis: { type: "category", data: rows.map((r) => r.label) }, yAxis: { type: "value", minInterval: 1 },
      series: [{ type: "bar", data: rows.map((r) => r.count), itemStyle: { color } }],
    });
    plot.on("click", (e) => { window.location.href = drill + encodeURIComponent(rows[e.dataIndex].code) + chart.drill.team; });
    plots.push(plot);
  };
  bars("chart-stage", chart.composition.stage, chart.drill.stage, "#0e7490");
  bars("chart-grade", chart.composition.grade, chart.drill.grade, "#a16207");
  bars("chart-tier", chart.composition.tier, chart.drill.tier, "#047857");
  const risks = [
    { code: "3", label: chart.names.high, count: chart.risks.high },
    { code: "2", label: chart.names.medium, count: chart.risks.medium },
    { code: "1", label: chart.names.low, count: chart.risks.low },
  ];
  bars("chart-risk", risks, chart.drill.risk, "#b91c1c");
  window.addEventListener("resize", () => plots.forEach((p) => p.resize()));
});
