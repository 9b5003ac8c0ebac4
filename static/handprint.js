// initiative/handprint.html: moved out of the page so the Content-Security-Policy needs no 'unsafe-inline'.
(function () {
  // Redraw the chart's shape from the score fields: each point lies on its theme's axis.
  const form = document.getElementById("handprint-form");
  const svg = document.querySelector("#handprint-preview svg");
  if (!form || !svg) return;
  const shape = svg.querySelector("polygon.shape");
  const axes = Array.from(svg.querySelectorAll("line.axis"));
  const caption = document.querySelector("#handprint-preview figcaption");
  function redraw() {
    const inputs = Array.from(form.querySelectorAll("input[data-theme]"));
    const points = axes.map((axis, n) => {
      const cx = +axis.getAttribute("x1"), cy = +axis.getAttribute("y1");
      const x = +axis.getAttribute("x2"), y = +axis.getAttribute("y2");
      let score = parseInt(inputs[n] ? inputs[n].value : "", 10);
      if (isNaN(score)) score = 0;
      const f = Math.max(0, Math.min(100, score)) / 100;
      return (cx + (x - cx) * f).toFixed(1) + "," + (cy + (y - cy) * f).toFixed(1);
    });
    shape.setAttribute("points", points.join(" "));
    if (caption) caption.hidden = true;  // it lists the scores as loaded; the axes now tell the story
  }
  form.addEventListener("input", redraw);
})();
