// The cross-tab heat map and the propensity models' calibration plots (ECharts); data from
// JSON script elements (no inline scripts).
document.addEventListener("DOMContentLoaded", () => {
  if (!window.echarts) return;
  const plots = [];
  const heatData = document.getElementById("insight-heat");
  const heatNode = document.getElementById("insight-heat-chart");
  if (heatData && heatNode) {
    const heat = JSON.parse(heatData.textContent);
    const values = heat.cells.map((c) => c[2]);
    // A row per category, tall enough for its label and figure.
    heatNode.style.height = `${Math.max(352, heat.y.length * 28 + 100)}px`;
    const plot = window.echarts.init(heatNode);
    plot.setOption({
      tooltip: { position: "top" },
      grid: { left: 10, right: 10, top: 10, bottom: 60, containLabel: true },
      xAxis: { type: "category", data: heat.x, splitArea: { show: true } },
      yAxis: { type: "category", data: heat.y, splitArea: { show: true } },
      visualMap: { min: 0, max: Math.max(1, ...values), calculable: true, orient: "horizontal", left: "center", bottom: 0 },
      series: [{ type: "heatmap", data: heat.cells, label: { show: true } }],
    });
    plots.push(plot);
  }
  const calibration = document.getElementById("insight-calibration");
  if (calibration) {
    const charts = JSON.parse(calibration.textContent);
    document.querySelectorAll(".insight-calibration").forEach((node) => {
      const points = charts[node.dataset.model] || [];
      if (!points.length) return;
      const plot = window.echarts.init(node);
      plot.setOption({
        tooltip: { trigger: "item" },
        grid: { left: 40, right: 20, top: 10, bottom: 40, containLabel: true },
        xAxis: { type: "value", min: 0, max: 1, name: node.dataset.xName, nameLocation: "middle", nameGap: 28 },
        yAxis: { type: "value", min: 0, max: 1, name: node.dataset.yName, nameLocation: "middle", nameGap: 36 },
        series: [
          { type: "line", data: [[0, 0], [1, 1]], showSymbol: false, lineStyle: { type: "dashed", color: "#9ca3af" } },
          { type: "line", data: points, itemStyle: { color: "#1d4ed8" } },
        ],
      });
      plots.push(plot);
    });
  }
  window.addEventListener("resize", () => plots.forEach((p) => p.resize()));
});
