// A submitted form with errors: move the focus to the summary, so a screen reader reads it first.
(function () {
  var summary = document.querySelector("[data-error-summary]");
  if (summary) { summary.focus(); }
})();

// A table that scrolls sideways inside its box (small screens) can be scrolled with the keyboard too.
(function () {
  function mark() {
    document.querySelectorAll("table, .table-scroll, .scroll").forEach(function (el) {
      if (el.scrollWidth > el.clientWidth + 1) { el.tabIndex = 0; } else if (el.tabIndex === 0) { el.removeAttribute("tabindex"); }
    });
  }
  mark();
  window.addEventListener("resize", mark);
})();

// A button with data-confirm asks before its form is sent (an inline onclick would need 'unsafe-inline').
document.addEventListener("click", function (event) {
  var button = event.target.closest ? event.target.closest("[data-confirm]") : null;
  if (button && !window.confirm(button.dataset.confirm)) { event.preventDefault(); }
});
