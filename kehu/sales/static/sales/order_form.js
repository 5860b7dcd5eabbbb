// Order entry: add and remove lines, products searched as you type (htmx fills the datalist),
// and a running total with discounts. The server computes the real amounts; without
// JavaScript the form still posts its one line.
(() => {
  const form = document.querySelector(".order-form");
  if (!form) return;
  const body = form.querySelector("[data-testid=lines]");
  const template = document.getElementById("line-template");
  const totalForms = form.querySelector("input[name$=TOTAL_FORMS]");
  const options = document.getElementById("product-options");
  const prices = new Map(); // "CODE · name" → list price, from every search answer seen
  const lang = document.documentElement.lang || "en";
  const fmt = new Intl.NumberFormat(lang, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  const symbols = { CNY: "¥", USD: "US$", EUR: "€", HKD: "HK$" };
  const currencyField = form.querySelector("[name=currency]");

  const remember = () => {
    options.querySelectorAll("option").forEach((o) => prices.set(o.value, Number(o.dataset.price)));
  };
  const num = (input) => {
    const v = Number(String(input && input.value || "").replace(/,/g, ""));
    return Number.isFinite(v) ? v : 0;
  };
  const money = (v) => {
    const currency = currencyField ? currencyField.value : form.dataset.currency;
    return (symbols[currency] || "") + fmt.format(v) + (symbols[currency] ? "" : " " + currency);
  };

  const recompute = () => {
    let total = 0;
    body.querySelectorAll("tr.order-line").forEach((row) => {
      if (row.hidden) return;
      const product = row.querySelector("[name$=-product]");
      const cell = row.querySelector(".line-amount");
      if (!product.value) { cell.textContent = "—"; return; }
      const priceInput = row.querySelector("[name$=-unit_price]");
      const price = priceInput.value.trim() ? num(priceInput) : (prices.get(product.value) || 0);
      const amount = Math.round(num(row.querySelector("[name$=-quantity]")) * price
        * (100 - num(row.querySelector("[name$=-discount_percent]")))) / 100;
      cell.textContent = money(amount);
      total += amount;
    });
    form.querySelector("[data-testid=running-total]").textContent = money(total);
  };

  // htmx answers each product search with the datalist's options
  document.body.addEventListener("htmx:afterSwap", (event) => {
    if (event.detail.target === options) { remember(); recompute(); }
  });
  form.addEventListener("input", recompute);
  form.addEventListener("change", recompute);

  form.addEventListener("click", (event) => {
    if (event.target.closest("[data-add-line]")) {
      const index = Number(totalForms.value);
      const html = template.innerHTML.replace(/__prefix__/g, String(index));
      body.insertAdjacentHTML("beforeend", html);
      totalForms.value = String(index + 1);
      if (window.htmx) window.htmx.process(body.lastElementChild);
      body.lastElementChild.querySelector("[name$=-product]").focus();
    }
    const remove = event.target.closest("[data-remove-line]");
    if (remove) {
      // the row stays in the formset, emptied: an empty line is skipped by the server
      const row = remove.closest("tr");
      row.querySelectorAll("input").forEach((i) => { i.value = ""; });
      row.hidden = true;
      recompute();
    }
  });
  remember();
  recompute();
})();
