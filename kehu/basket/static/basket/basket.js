// The strongest product pairs as a network (ECharts): width and label by lift.
document.addEventListener("DOMContentLoaded", () => {
  const data = document.getElementById("basket-data");
  const node = document.getElementById("basket-graph");
  if (!data || !node || !window.echarts) return;
  const graph = JSON.parse(data.textContent);
  const chart = window.echarts.init(node);
  const maxLift = Math.max(...graph.links.map((l) => l.lift), 1);
  chart.setOption({
    tooltip: {
      formatter: (p) => (p.dataType === "edge" ? `${p.data.sourceName} → ${p.data.targetName}<br>lift ${p.data.lift} · ${Math.round(p.data.confidence * 100)}%` : p.data.name),
    },
    series: [{
      type: "graph",
      layout: "force",
      roam: true,
      draggable: true,
      force: { repulsion: 220, edgeLength: [60, 160] },
      label: { show: true, position: "right" },
      edgeSymbol: ["none", "arrow"],
      symbolSize: 16,
      data: graph.nodes,
      links: graph.links.map((l) => ({
        ...l,
        sourceName: graph.nodes.find((n) => n.id === l.source)?.name,
        targetName: graph.nodes.find((n) => n.id === l.target)?.name,
        lineStyle: { width: 1 + (5 * l.lift) / maxLift, opacity: 0.7 },
      })),
    }],
  });
  window.addEventListener("resize", () => chart.resize());
});
