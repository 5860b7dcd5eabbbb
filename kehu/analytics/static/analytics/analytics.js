// The customer-value charts (ECharts): Pareto curve with the 20% mark, CLV distribution,
// cohort retention heatmap. Data comes from a JSON script element (no inline scripts).
document.addEventListener("DOMContentLoaded", () => {
  const data = document.getElementById("analytics-data");
  if (!data || !window.echarts) return;
  const chart = JSON.parse(data.textContent);
  const plots = [];
  const pct = (v) => (v == null ? "—" : `${v}%`);
  const node = (id) => document.getElementById(id);

  if (node("analytics-pareto") && chart.pareto.length) {
    const pareto = window.echarts.init(node("analytics-pareto"));
    const points = chart.pareto.map((v, i) => [i, v]);
    pareto.setOption({
      tooltip: { trigger: "axis", valueFormatter: pct },
      grid: { left: 40, right: 20, top: 20, bottom: 30, containLabel: true },
      xAxis: { type: "value", min: 0, max: 100, name: chart.names.customers, nameLocation: "middle", nameGap: 28, axisLabel: { formatter: "{value}%" } },
      yAxis: { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } },
      series: [{
        name: chart.names.revenue, type: "line", showSymbol: false, data: points, areaStyle: { opacity: 0.12 },
        itemStyle: { color: "#1d4ed8" },
        markLine: { symbol: "none", label: { formatter: chart.names.mark }, lineStyle: { color: "#b45309" }, data: [{ xAxis: 20 }] },
      }],
    });
    pareto.on("click", () => { window.location.href = `${chart.drill.url}?rank_max=${chart.drill.top_rank}`; });
    plots.push(pareto);
  }

  if (node("analytics-clv") && chart.clv.counts && chart.clv.counts.length) {
    const clv = window.echarts.init(node("analytics-clv"));
    const edges = chart.clv.edges;
    const labels = chart.clv.counts.map((_, i) => `${Math.round(edges[i])}–${Math.round(edges[i + 1])}`);
    clv.setOption({
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      grid: { left: 40, right: 20, top: 20, bottom: 40, containLabel: true },
      xAxis: { type: "category", data: labels, axisLabel: { rotate: 35 } },
      yAxis: { type: "value" },
      series: [{ name: chart.names.clv, type: "bar", data: chart.clv.counts, itemStyle: { color: "#047857" } }],
    });
    clv.on("click", (e) => {
      const i = e.dataIndex;
      const last = i === chart.clv.counts.length - 1;
      const query = `clv_min=${edges[i]}` + (last ? "" : `&clv_max=${edges[i + 1]}`);
      window.location.href = `${chart.drill.url}?${query}`;
    });
    plots.push(clv);
  }

  const cohorts = chart.cohorts;
  if (node("analytics-cohorts") && cohorts.cohorts && cohorts.cohorts.length) {
    const heat = window.echarts.init(node("analytics-cohorts"));
    const cells = [];
    cohorts.retention.forEach((row, y) => row.forEach((v, x) => { if (v != null) cells.push([x, y, v]); }));
    const months = cohorts.cohorts.map((_, i) => String(i));
    const rows = cohorts.cohorts.map((c, i) => `${c} (${cohorts.sizes[i]})`);
    heat.setOption({
      tooltip: { position: "top", formatter: (p) => `${rows[p.value[1]]} +${p.value[0]}: ${p.value[2]}%` },
      grid: { left: 10, right: 20, top: 10, bottom: 60, containLabel: true },
      xAxis: { type: "category", data: months, name: chart.names.month, nameLocation: "middle", nameGap: 26 },
      yAxis: { type: "category", data: rows, inverse: true },
      visualMap: { min: 0, max: 100, calculable: false, orient: "horizontal", left: "center", bottom: 0, itemHeight: 120, inRange: { color: ["#eff6ff", "#1d4ed8"] } },
      series: [{ type: "heatmap", data: cells, label: { show: true, formatter: (p) => `${Math.round(p.value[2])}` } }],
    });
    plots.push(heat);
  }
  window.addEventListener("resize", () => plots.forEach((p) => p.resize()));
});
