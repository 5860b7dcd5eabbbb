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
function showToast(text) {
  const toast = document.createElement("div");
  toast.className = "toast";
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
