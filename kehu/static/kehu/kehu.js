// Kehu's own behaviour; htmx does the rest. No inline scripts: the CSP forbids them.
document.addEventListener("submit", (event) => {
  const message = event.target.dataset.confirm;
  if (message && !window.confirm(message)) event.preventDefault();
});
