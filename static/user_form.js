// admin/user_form.html: moved out of the page so the Content-Security-Policy needs no 'unsafe-inline'.
(function () {
  const role = document.getElementById("f-role");
  function show() {
    document.querySelectorAll("#user-form [data-role]").forEach(el => { el.hidden = el.dataset.role !== role.value; });
  }
  role.addEventListener("change", show);
  show();
})();
