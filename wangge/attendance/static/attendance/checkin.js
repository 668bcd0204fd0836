// 驻村签到: fill the location from the phone and submit the form (htmx posts it); the server judges the distance.
(function () {
  "use strict";
  function showError(form, message) {
    var input = form.querySelector("#id_location");
    var p = form.querySelector("#locate-error");
    if (!p) {
      p = document.createElement("p");
      p.id = "locate-error";
      p.className = "field-error";
      input.closest(".field").insertAdjacentElement("afterend", p);
    }
    p.textContent = message;
  }
  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("#locate") : null;
    if (!button) { return; }
    var form = button.form;
    var input = form.querySelector("#id_location");
    if (!navigator.geolocation) { showError(form, form.dataset.tDenied); return; }
    input.value = form.dataset.tLocating;
    button.disabled = true;
    navigator.geolocation.getCurrentPosition(function (pos) {
      button.disabled = false;
      var c = pos.coords;
      form.querySelector("#id_lat").value = c.latitude.toFixed(6);
      form.querySelector("#id_lng").value = c.longitude.toFixed(6);
      form.querySelector("#id_accuracy_m").value = Math.round(c.accuracy || 0);
      form.querySelector("#id_code").value = "";
      input.value = c.latitude.toFixed(5) + ", " + c.longitude.toFixed(5) + " (±" + Math.round(c.accuracy || 0) + "m)";
      var old = form.querySelector("#locate-error");
      if (old) { old.remove(); }
      form.requestSubmit();
    }, function () {
      button.disabled = false;
      input.value = "";
      showError(form, form.dataset.tDenied);
    }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 0 });
  });
})();
