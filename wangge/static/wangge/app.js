// Behaviour shared by every page. The Content-Security-Policy allows no inline script, so handlers that used
// to be onclick/onchange attributes are data attributes read here:
//   data-nav-toggle       a button that opens and closes the phone menu
//   data-autosubmit       a select that submits its form when changed
//   data-history-back     a link that goes back one page
//   data-confirm          a form (or its submit button) that asks "are you sure?" with this text first
// and the one error pattern of every htmx form (docs/ui.md):
//   - a 4xx answer is swapped (htmx-config in base.html). A fragment marked X-Wangge-Error goes into the
//     requesting form's [data-form-errors] slot (made at the top of the form when missing); each of its
//     li[data-field] is also written next to the field of that name, with aria-invalid and aria-describedby;
//   - a 5xx, a network failure or a timeout shows #error-banner; nothing is swapped.
(function () {
  "use strict";

  // --- the error banner (5xx, network) ------------------------------------------------------------------
  function banner(kind, text) {
    var el = document.getElementById("error-banner");
    if (!el) { return; }
    var message = text || el.getAttribute("data-msg-" + kind) || el.getAttribute("data-msg-server");
    el.querySelector("[data-error-banner-text]").textContent = message;
    el.hidden = false;
  }
  function hideBanner() {
    var el = document.getElementById("error-banner");
    if (el) { el.hidden = true; }
  }

  // --- field errors --------------------------------------------------------------------------------------
  function formOf(elt) {
    if (!elt) { return null; }
    if (elt.tagName === "FORM") { return elt; }
    return elt.form || elt.closest("form");
  }

  function clearFieldErrors(form) {
    form.querySelectorAll(".field-error[data-placed]").forEach(function (p) { p.remove(); });
    form.querySelectorAll("[aria-invalid=true][data-invalid-placed]").forEach(function (input) {
      input.removeAttribute("aria-invalid");
      input.removeAttribute("data-invalid-placed");
      var described = (input.getAttribute("aria-describedby") || "").split(" ").filter(function (id) {
        return id.indexOf("fe-") !== 0;
      }).join(" ");
      if (described) { input.setAttribute("aria-describedby", described); } else { input.removeAttribute("aria-describedby"); }
    });
  }

  // The form control a service's field name refers to: "code", "unit_id" → "unit", "parties.0.name".
  function controlFor(form, field) {
    if (!field) { return null; }
    var names = [field, field.replace(/_ids?$/, ""), field.replace(/\./g, "-"), field.split(".").pop()];
    for (var i = 0; i < names.length; i++) {
      var found = form.querySelector("[name='" + names[i].replace(/'/g, "") + "']");
      if (found && found.type !== "hidden") { return found; }
    }
    return null;
  }

  var placed = 0;
  function placeFieldErrors(form, fragment) {
    fragment.querySelectorAll("li[data-field]").forEach(function (li) {
      var input = controlFor(form, li.getAttribute("data-field"));
      if (!input) { return; }
      var p = document.createElement("p");
      placed += 1;
      p.id = "fe-" + placed;
      p.className = "field-error";
      p.setAttribute("data-placed", "");
      p.textContent = li.getAttribute("data-message");
      // After the control's own wrapper: a radio/checkbox group's fieldset, a label wrapping the input, or
      // the input itself.
      var anchor = input.closest("fieldset, .field, label") || input;
      if (anchor.tagName === "FORM") { anchor = input; }
      anchor.insertAdjacentElement("afterend", p);
      input.setAttribute("aria-invalid", "true");
      input.setAttribute("data-invalid-placed", "");
      var described = input.getAttribute("aria-describedby");
      input.setAttribute("aria-describedby", described ? described + " " + p.id : p.id);
    });
  }

  function errorSlot(form) {
    var slot = form.querySelector("[data-form-errors]");
    if (!slot) {
      slot = document.createElement("div");
      slot.setAttribute("data-form-errors", "");
      slot.className = "form-errors";
      form.insertBefore(slot, form.firstChild);
    }
    return slot;
  }

  document.addEventListener("htmx:beforeRequest", function (event) {
    hideBanner();
    var form = formOf(event.detail.elt);
    if (form) {
      clearFieldErrors(form);
      var slot = form.querySelector("[data-form-errors]");
      if (slot) { slot.innerHTML = ""; }
    }
  });

  document.addEventListener("htmx:beforeSwap", function (event) {
    var xhr = event.detail.xhr;
    if (!xhr || xhr.status < 400 || xhr.status >= 500) { return; }
    if (!xhr.getResponseHeader("X-Wangge-Error")) { return; } // a page meant for the target: swapped as is
    var elt = event.detail.requestConfig ? event.detail.requestConfig.elt : event.detail.elt;
    var form = formOf(elt);
    if (form && document.body.contains(form)) {
      event.detail.target = errorSlot(form);
      event.detail.swapOverride = "innerHTML";
      event.detail.selectOverride = "[data-error-fragment]";
      event.detail.shouldSwap = true;
      event.detail.isError = false;
      return;
    }
    // Not from a form (a button, a link, a poll): the message goes in the banner.
    event.detail.shouldSwap = false;
    var holder = document.createElement("div");
    holder.innerHTML = xhr.responseText;
    banner("server", (holder.textContent || "").replace(/\s+/g, " ").trim());
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    var xhr = event.detail.xhr;
    if (!xhr || xhr.status < 400) { return; }
    var target = event.detail.target;
    var fragment = target.matches && target.matches("[data-error-fragment]") ? target : target.querySelector("[data-error-fragment]");
    var form = formOf(event.detail.requestConfig ? event.detail.requestConfig.elt : event.detail.elt);
    if (fragment && form && document.body.contains(form)) { placeFieldErrors(form, fragment); }
    var first = (form && document.body.contains(form) ? form : target).querySelector(".field-error, .errors, .errorlist, [role=alert]");
    if (first && first.scrollIntoView) { first.scrollIntoView({ block: "center" }); }
  });

  document.addEventListener("htmx:responseError", function (event) {
    var xhr = event.detail.xhr;
    if (xhr && xhr.status >= 400 && xhr.status < 500) { return; } // handled above
    banner("server");
  });
  document.addEventListener("htmx:sendError", function () { banner("network"); });
  document.addEventListener("htmx:timeout", function () { banner("timeout"); });

  // --- lists as cards under 640 px: each cell carries its column's heading (app.css shows it) -------------
  function labelTables(root) {
    if (!root || !root.querySelectorAll) { return; }
    var tables = root.matches && root.matches("table") ? [root] : root.querySelectorAll("table");
    Array.prototype.forEach.call(tables, function (table) {
      var heads = Array.prototype.map.call(table.querySelectorAll("thead th"), function (th) {
        return (th.textContent || "").trim();
      });
      if (!heads.length) { return; }
      table.querySelectorAll("tbody tr").forEach(function (tr) {
        Array.prototype.forEach.call(tr.children, function (td, i) {
          if (!td.hasAttribute("data-label") && heads[i]) { td.setAttribute("data-label", heads[i]); }
        });
      });
    });
  }
  // A plain form's error after the redirect (core.feedback.error_message): the message also goes next to
  // each field it names, in the first form on the page that has that field.
  function placeMessageFields() {
    document.querySelectorAll(".messages [data-fields]").forEach(function (msg) {
      msg.getAttribute("data-fields").split(",").forEach(function (field) {
        var forms = document.querySelectorAll("main form");
        for (var i = 0; i < forms.length; i++) {
          if (controlFor(forms[i], field)) {
            var li = document.createElement("li");
            li.setAttribute("data-field", field);
            li.setAttribute("data-message", msg.textContent.trim());
            var holder = document.createElement("ul");
            holder.appendChild(li);
            placeFieldErrors(forms[i], holder);
            return;
          }
        }
      });
    });
  }
  document.addEventListener("DOMContentLoaded", function () { labelTables(document); placeMessageFields(); });
  document.addEventListener("htmx:load", function (event) {
    var elt = event.detail && event.detail.elt;
    labelTables(elt && elt.closest && elt.closest("table") ? elt.closest("table") : elt);
  });

  // --- small behaviours ----------------------------------------------------------------------------------
  document.addEventListener("click", function (event) {
    var toggle = event.target.closest("[data-nav-toggle]");
    if (toggle) {
      var open = document.body.classList.toggle("nav-open");
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
      return;
    }
    if (event.target.closest("[data-error-banner-close]")) {
      hideBanner();
      return;
    }
    var back = event.target.closest("[data-history-back]");
    if (back && window.history.length > 1 && document.referrer) {
      event.preventDefault();
      window.history.back();
    }
  });
  document.addEventListener("change", function (event) {
    var select = event.target.closest("select[data-autosubmit]");
    if (select && select.form) { select.form.submit(); }
  });
  // A form with data-confirm (or submitted by a button with it) asks first; htmx forms use hx-confirm.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var button = event.submitter;
    var text = (button && button.getAttribute("data-confirm")) || form.getAttribute("data-confirm");
    if (text && !window.confirm(text)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);
})();
