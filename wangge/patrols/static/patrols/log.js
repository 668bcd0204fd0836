// The 巡查日志 page: the print button (no inline handlers under the Content-Security-Policy).
(function () {
  "use strict";
  var b = document.querySelector("[data-print]");
  if (b) { b.addEventListener("click", function () { window.print(); }); }
})();
