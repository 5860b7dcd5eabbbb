// The membership programme's charts (ECharts): members per level, points per month.
document.addEventListener("DOMContentLoaded", () => {
  const data = document.getElementById("loyalty-data");
  if (!data || !window.echarts) return;
  const chart = JSON.parse(data.textContent);
  const plots = [];
  const levelsNode = document.getElementById("loyalty-levels");
  if (levelsNode) {
    const levels = window.echarts.init(levelsNode);
    levels.setOption({
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      grid: { left: 10, right: 20, top: 20, bottom: 20, containLabel: true },
      xAxis: { type: "category", data: chart.levels },
      yAxis: { type: "value", minInterval: 1 },
      series: [{ name: chart.membersName, type: "bar", data: chart.members, itemStyle: { color: "#b45309" } }],
    });
    plots.push(levels);
  }
  const pointsNode = document.getElementById("loyalty-points");
  if (pointsNode) {
    const points = window.echarts.init(pointsNode);
    const colors = { earned: "#047857", redeemed: "#1d4ed8", expired: "#9ca3af" };
    const keys = ["earned", "redeemed", "expired"];
    points.setOption({
      tooltip: { trigger: "axis" },
      legend: { top: 0, data: keys.map((k) => chart.series[k].name) },
      grid: { left: 10, right: 20, top: 40, bottom: 20, containLabel: true },
      xAxis: { type: "category", data: chart.months },
      yAxis: { type: "value" },
      series: keys.map((k) => ({ name: chart.series[k].name, type: "bar", data: chart.series[k].data, itemStyle: { color: colors[k] } })),
    });
    plots.push(points);
  }
  window.addEventListener("resize", () => plots.forEach((p) => p.resize()));
});
