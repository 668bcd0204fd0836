// Behaviour shared by every page. The Content-Security-Policy allows no inline script, so handlers that used
// to be onclick/onchange attributes are data attributes read here:
//   data-nav-toggle       a button that opens and closes the phone menu
//   data-autosubmit       a select that submits its form when changed
//   data-history-back     a link that goes back one page
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var toggle = event.target.closest("[data-nav-toggle]");
    if (toggle) {
      var open = document.body.classList.toggle("nav-open");
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
      return;
    }
    var back = event.target.closest("[data-history-back]");
    if (back && window.history.length > 1) {
      event.preventDefault();
      window.history.back();
    }
  });
  document.addEventListener("change", function (event) {
    var select = event.target.closest("select[data-autosubmit]");
    if (select && select.form) { select.form.submit(); }
  });
})();
