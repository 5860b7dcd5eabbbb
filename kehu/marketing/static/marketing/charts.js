// Campaign results and the channel comparison (ECharts), from the JSON the page embeds.
document.addEventListener("DOMContentLoaded", () => {
  if (!window.echarts) return;
  const read = (id) => {
    const node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : null;
  };
  const draw = (id, option) => {
    const node = document.getElementById(id);
    if (!node) return;
    const chart = window.echarts.init(node);
    chart.setOption(option);
    window.addEventListener("resize", () => chart.resize());
  };
  const results = read("results-data");
  if (results) {
    draw("results-channel-chart", {
      tooltip: { trigger: "axis" },
      legend: {},
      xAxis: { type: "category", data: results.channels },
      yAxis: { type: "value" },
      series: ["reached", "responded", "converted"].map((k) => ({
        name: results.labels[k], type: "bar", data: results[k],
      })),
    });
    draw("results-daily-chart", {
      tooltip: { trigger: "axis" },
      legend: {},
      xAxis: { type: "category", data: results.days },
      yAxis: { type: "value" },
      series: ["contacts", "responses"].map((k) => ({
        name: results.labels[k], type: "line", data: results[k],
      })),
    });
  }
  const channels = read("channels-data");
  if (channels) {
    draw("channels-chart", {
      tooltip: { trigger: "axis" },
      legend: {},
      xAxis: { type: "category", data: channels.channels },
      yAxis: [{ type: "value" }, { type: "value", axisLabel: { formatter: (v) => `${Math.round(v * 100)}%` } }],
      series: [
        { name: channels.labels.revenue, type: "bar", data: channels.revenue },
        { name: channels.labels.cost, type: "bar", data: channels.cost },
        { name: channels.labels.roi, type: "line", yAxisIndex: 1, data: channels.roi },
      ],
    });
  }
});
