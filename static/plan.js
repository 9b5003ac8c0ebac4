// company/plan.html: moved out of the page so the Content-Security-Policy needs no 'unsafe-inline'.
(function () {
  const form = document.getElementById("plan-form");
  if (!form) return;
  const fmt = new Intl.NumberFormat(document.documentElement.lang === "en" ? "en-GB" : "nl-NL", {style: "currency", currency: "EUR"});
  function update() {
    let total = 0;
    form.querySelectorAll("tbody tr").forEach(tr => {
      const on = tr.querySelector('input[type=checkbox]').checked;
      const units = parseInt(tr.querySelector('input[type=number]').value || "0", 10) || 0;
      const value = on ? units * parseInt(tr.dataset.unitValue, 10) : 0;
      tr.querySelector(".value").textContent = fmt.format(value / 100);
      total += value;
    });
    document.getElementById("plan-total").textContent = fmt.format(total / 100);
  }
  form.addEventListener("input", update);
})();
