// A submitted form with errors: move the focus to the summary, so a screen reader reads it first.
(function () {
  var summary = document.querySelector("[data-error-summary]");
  if (summary) { summary.focus(); }
})();
