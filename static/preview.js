/* Live valuation preview for the placement form: the same checks and figures as submitting. */
(function () {
  const form = document.getElementById("pledge-form");
  const body = document.getElementById("preview-body");
  if (!form || !body) return;
  let timer = null;
  function escapeHtml(s) {
    return String(s).replace(/[&<>"']/g, c => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c]));
  }
  async function preview() {
    const data = new FormData(form);
    if (!data.get("block")) return;
    try {
      const resp = await fetch(form.dataset.preview, {method: "POST", body: data, headers: {"X-Requested-With": "fetch"}});
      const out = await resp.json();
      if (!out.ok) { body.innerHTML = '<p class="error">' + escapeHtml(out.message) + "</p>"; return; }
      let html = '<table class="breakdown">';
      for (const line of out.lines) {
        html += "<tr><td>" + escapeHtml(line.text) + '</td><td class="num">' + escapeHtml(line.value) + "</td></tr>";
      }
      html += '<tr class="total"><th>' + escapeHtml(out.total_label || "") + '</th><th class="num" id="preview-value">' +
        escapeHtml(out.value) + "</th></tr></table>";
      if (out.warning) html += '<p class="error">' + escapeHtml(out.warning) + "</p>";
      body.innerHTML = html;
    } catch (e) {
      body.innerHTML = '<p class="muted">' + escapeHtml(form.dataset.unavailable || "") + "</p>";
    }
  }
  form.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(preview, 300); });
  form.addEventListener("change", () => { clearTimeout(timer); timer = setTimeout(preview, 50); });
  form.addEventListener("submit", () => { form.querySelector('button[type="submit"]').disabled = true; });
  preview();
})();
