// Skip logic on the answer page: a question with data-show-if is shown only while the earlier
// question's answer is one of data-show-values. The server applies the same rule.
document.addEventListener("DOMContentLoaded", () => {
  const dependants = document.querySelectorAll("[data-show-if]");
  if (!dependants.length) return;
  const chosen = (id) =>
    Array.from(document.querySelectorAll(`[name="q${id}"]:checked`)).map((input) => input.value);
  const update = () => {
    dependants.forEach((node) => {
      const wanted = node.dataset.showValues.split(",");
      const show = chosen(node.dataset.showIf).some((v) => wanted.includes(v));
      node.hidden = !show;
    });
  };
  document.addEventListener("change", update);
  update();
});
