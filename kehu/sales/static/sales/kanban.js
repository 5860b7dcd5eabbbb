// The opportunity kanban: drag a card onto another stage's column to move it there. The move
// is an htmx POST that answers the whole board; without JavaScript, and on touch screens (no drag
// and drop there), each card has a form.
(() => {
  document.documentElement.classList.add("js");
  let dragged = null;

  document.addEventListener("dragstart", (event) => {
    const card = event.target.closest && event.target.closest(".kanban-card[draggable=true]");
    if (!card) return;
    dragged = card;
    card.classList.add("dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", card.dataset.opportunity || "");
  });

  document.addEventListener("dragend", () => {
    if (dragged) dragged.classList.remove("dragging");
    dragged = null;
    document.querySelectorAll(".kanban-col.drop-target").forEach((c) => c.classList.remove("drop-target"));
  });

  document.addEventListener("dragover", (event) => {
    const column = event.target.closest && event.target.closest(".kanban-col");
    if (!column || !dragged) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    document.querySelectorAll(".kanban-col.drop-target").forEach((c) => {
      if (c !== column) c.classList.remove("drop-target");
    });
    column.classList.add("drop-target");
  });

  document.addEventListener("drop", (event) => {
    const column = event.target.closest && event.target.closest(".kanban-col");
    if (!column || !dragged) return;
    event.preventDefault();
    column.classList.remove("drop-target");
    if (dragged.closest(".kanban-col") === column) return;
    const board = column.closest(".kanban");
    const values = { stage: column.dataset.stage };
    if (column.dataset.outcome === "lost") {
      // a lost opportunity needs its reason: ask before moving, stay put without one
      const reason = window.prompt(board.dataset.lostPrompt || "");
      if (!reason || !reason.trim()) return;
      values.lost_reason = reason.trim();
    }
    window.htmx.ajax("POST", dragged.dataset.moveUrl, {
      target: board.dataset.moveTarget || "#kanban",
      swap: "outerHTML",
      values,
    });
  });
})();
