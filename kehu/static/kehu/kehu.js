// Kehu's own behaviour; htmx does the rest. No inline scripts: the CSP forbids them.
document.addEventListener("submit", (event) => {
  const message = event.target.dataset.confirm;
  if (message && !window.confirm(message)) {
    event.preventDefault();
    event.stopImmediatePropagation(); // so htmx does not send it either
  }
}, true);

// A form with errors comes back as 422 Unprocessable Content: swap it in like a success
// (htmx 2 leaves 4xx responses unswapped by default).
document.addEventListener("htmx:beforeSwap", (event) => {
  if (event.detail.xhr.status === 422) {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  }
});

// Other refusals (403, 404, 500) of an htmx request: say so instead of doing nothing.
function showToast(text, kind) {
  const toast = document.createElement("div");
  toast.className = kind ? `toast ${kind}` : "toast";
  toast.setAttribute("role", "alert");
  toast.textContent = text;
  document.body.appendChild(toast);
  window.setTimeout(() => toast.remove(), 5000);
}

document.addEventListener("htmx:responseError", (event) => {
  const status = event.detail.xhr.status;
  const data = document.body.dataset;
  if (status === 403) showToast(data.msgForbidden || "Not allowed.");
  else if (status === 404) showToast(data.msgNotFound || "Not found.");
  else showToast(data.msgError || "Something went wrong.");
});

document.addEventListener("htmx:sendError", () => {
  showToast(document.body.dataset.msgOffline || "The server cannot be reached.");
});

// Close an open popover (assign, share) when clicking elsewhere or pressing Escape.
document.addEventListener("click", (event) => {
  document.querySelectorAll("details.popover[open]").forEach((details) => {
    if (!details.contains(event.target)) details.removeAttribute("open");
  });
});
document.addEventListener("keydown", (event) => {
  if (event.key !== "Escape") return;
  document.querySelectorAll("details.popover[open]").forEach((d) => d.removeAttribute("open"));
});

// Phones: the top bar's search is a button until the form has focus (CSS); the button hands
// the focus to the field, also where a click does not focus a button (Safari).
document.addEventListener("click", (event) => {
  const toggle = event.target.closest(".search-toggle");
  if (toggle) toggle.form.querySelector("input[type=search]").focus();
});

// The quick-entry dialog: links with hx-target="#dialog-body" (log a call, add a task) load a
// form into it and open it; a save answers 204 with a "kehu:saved" event that closes it.
const dialog = () => document.getElementById("dialog");

document.addEventListener("htmx:afterSwap", (event) => {
  const box = dialog();
  if (box && event.detail.target.id === "dialog-body" && !box.open) {
    box.showModal();
    const first = box.querySelector("input:not([type=hidden]), textarea, select");
    if (first) first.focus();
  }
});

document.addEventListener("kehu:saved", (event) => {
  const box = dialog();
  if (box && box.open) box.close();
  if (event.detail && event.detail.message) showToast(event.detail.message, "toast-success");
});

document.addEventListener("click", (event) => {
  if (event.target.closest("[data-close-dialog]")) {
    const box = dialog();
    if (box) box.close();
  }
});

document.addEventListener("close", (event) => {
  if (event.target.id === "dialog") document.getElementById("dialog-body").replaceChildren();
}, true);

// The calendar: drag a task to another day; the API moves it (same time of day).
function csrfToken() {
  try {
    return JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRFToken"];
  } catch (error) {
    return "";
  }
}

document.addEventListener("dragstart", (event) => {
  const item = event.target.closest && event.target.closest("[data-task-id]");
  if (!item) return;
  event.dataTransfer.setData("text/plain", item.dataset.taskId);
  event.dataTransfer.effectAllowed = "move";
});

document.addEventListener("dragover", (event) => {
  if (event.target.closest && event.target.closest(".calendar-day")) event.preventDefault();
});

document.addEventListener("drop", async (event) => {
  const cell = event.target.closest && event.target.closest(".calendar-day");
  if (!cell) return;
  event.preventDefault();
  const taskId = event.dataTransfer.getData("text/plain");
  const item = document.querySelector(`[data-task-id="${CSS.escape(taskId)}"]`);
  if (!taskId || !item || item.parentElement === cell) return;
  let response;
  try {
    response = await fetch(`/api/v1/tasks/${encodeURIComponent(taskId)}`, {
      method: "PATCH",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify({ due_on: cell.dataset.day }),
    });
  } catch (error) {
    showToast(document.body.dataset.msgOffline || "The server cannot be reached.");
    return;
  }
  if (!response.ok) {
    let message = document.body.dataset.msgError || "Something went wrong.";
    try {
      message = (await response.json()).message || message;
    } catch (error) { /* not JSON */ }
    showToast(message);
    return;
  }
  cell.appendChild(item);
  const calendar = cell.closest("[data-msg-moved]");
  showToast(calendar ? calendar.dataset.msgMoved : "Moved.", "toast-success");
});

// The bulk bar shows only the chosen action's input (every input without JavaScript).
function bulkBarShow(select) {
  const option = select.selectedOptions[0];
  const field = option ? option.dataset.field : "";
  select.form.querySelectorAll("[data-bulk-field]").forEach((box) => {
    box.hidden = box.dataset.bulkField !== field;
  });
}

document.addEventListener("change", (event) => {
  if (event.target.matches && event.target.matches("[data-bulk-action]")) bulkBarShow(event.target);
});

document.addEventListener("htmx:load", (event) => {
  event.target.querySelectorAll("[data-bulk-action]").forEach(bulkBarShow);
});
