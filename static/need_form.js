// initiative/need_form.html: moved out of the page so the Content-Security-Policy needs no 'unsafe-inline'.
(function () {
  // Offer only the units that fit the kind of need, and say how to type the quantity.
  const needForm = document.getElementById("need-form");
  const unitsForKind = JSON.parse(needForm.dataset.units);
  const labels = JSON.parse(needForm.dataset.labels);
  const kind = document.getElementById("f-kind");
  const unit = document.getElementById("f-unit");
  const label = document.getElementById("quantity-label");
  const help = document.getElementById("quantity-help");
  const quantity = document.getElementById("f-quantity");
  function sync() {
    const allowed = unitsForKind[kind.value] || [];
    for (const o of unit.options) { o.disabled = !allowed.includes(o.value); o.hidden = o.disabled; }
    if (!allowed.includes(unit.value) && allowed.length) unit.value = allowed[0];
    label.textContent = labels[unit.value] || label.textContent;
    help.hidden = true;
    quantity.inputMode = unit.value === "cents" ? "decimal" : "numeric";
  }
  kind.addEventListener("change", sync);
  unit.addEventListener("change", sync);
  sync();
})();
