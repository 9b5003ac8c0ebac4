// company/pledge.html: moved out of the page so the Content-Security-Policy needs no 'unsafe-inline'.
(function () {
  const form = document.getElementById("pledge-form");
  const body = document.getElementById("preview-body");
  const block = document.getElementById("f-block");
  const target = document.getElementById("f-target");
  const compatible = JSON.parse(form.dataset.compatible);
  function unit() { const o = block.options[block.selectedIndex]; return o ? o.dataset.unit : ""; }
  function showFields() {
    const u = unit();
    const b = block.options[block.selectedIndex];
    const groups = {quantity: !["euro_spent", "by_agreement", "certificate"].includes(u) || u === "",
                    amount: ["euro_spent", "by_agreement"].includes(u), certificate: u === "certificate",
                    smart: !!(b && b.dataset.smart === "1"), supplier: target.value === "supplier:new"};
    for (const [name, on] of Object.entries(groups)) {
      form.querySelectorAll('[data-show="' + name + '"]').forEach(el => { el.hidden = !on; });
    }
    // The approved SMART plan of the chosen initiative, when there is one.
    const smart = document.getElementById("f-smart");
    const chosen = target.options[target.selectedIndex];
    if (smart && chosen && chosen.dataset.initiative && !smart.value) {
      const plan = Array.from(smart.options).find(o => o.dataset.initiative === chosen.dataset.initiative);
      if (plan) smart.value = plan.value;
    }
    // Only offer blocks that fit the chosen need's unit.
    const t = target.options[target.selectedIndex];
    const needUnit = t ? t.dataset.unit : "";
    for (const o of block.options) {
      if (!o.value) continue;
      let ok = true;
      if (needUnit && needUnit !== "firm") ok = (compatible[needUnit] || []).includes(o.dataset.unit);
      if (needUnit === "firm") ok = o.dataset.unit === "euro_spent" || o.dataset.unit === "by_agreement";
      o.disabled = !ok;
    }
    // Keep the choice valid: pick the first block that fits the chosen need.
    if (block.selectedIndex > 0 && block.options[block.selectedIndex].disabled) block.selectedIndex = 0;
    if (block.selectedIndex === 0 && needUnit) {
      const first = Array.from(block.options).find(o => o.value && !o.disabled);
      if (first) block.value = first.value;
    }
  }
  let timer = null;
  function escapeHtml(s) { return String(s).replace(/[&<>"']/g, c => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c])); }
  async function preview() {
    if (!block.value) return;
    const data = new FormData(form);
    try {
      const resp = await fetch(form.dataset.preview, {method: "POST", body: data, headers: {"X-Requested-With": "fetch"}});
      const out = await resp.json();
      if (!out.ok) { body.innerHTML = '<p class="error">' + escapeHtml(out.message) + '</p>'; return; }
      let html = '<table class="breakdown">';
      for (const line of out.lines) html += '<tr><td>' + escapeHtml(line.text) + '</td><td class="num">' + escapeHtml(line.value) + '</td></tr>';
      html += '<tr class="total"><th>' + escapeHtml(form.dataset.valueLabel) + '</th><th class="num" id="preview-value">' + escapeHtml(out.value) + '</th></tr></table>';
      if (out.warning) html += '<p class="error">' + escapeHtml(out.warning) + '</p>';
      body.innerHTML = html;
    } catch (e) { body.innerHTML = '<p class="muted">' + escapeHtml(form.dataset.unavailable) + '</p>'; }
  }
  form.addEventListener("input", () => { showFields(); clearTimeout(timer); timer = setTimeout(preview, 250); });
  form.addEventListener("change", () => { showFields(); clearTimeout(timer); timer = setTimeout(preview, 50); });
  form.addEventListener("submit", () => { form.querySelector('button[type="submit"]').disabled = true; });
  showFields(); preview();
})();
