// The grid worker pages without a network: registers the service worker (/sw.js), shows what waits on this
// phone to be sent (待同步) and what the server refused, replays the queue (queue.js) when the network comes
// back, on page load and on request, and sends the visit form and the correction form through the queue
// when there is no network. Translated texts come from data-msg-* on #offline-sync.
/* global WanggeQueue */
(function () {
  "use strict";
  var panel = document.getElementById("offline-sync");
  if (!panel || !window.WanggeQueue) { return; }
  var user = panel.dataset.user, today = panel.dataset.today;
  var PAGES = "wangge-pages";

  function $(id) { return document.getElementById(id); }
  function msg(name, n) { return (panel.dataset["msg" + name] || "").replace("{n}", n); }
  function status(text) { var s = $("sync-status"); if (s) { s.textContent = text; panel.hidden = false; } }

  function csrf() {
    var m = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (m) { return decodeURIComponent(m[1]); }
    var input = document.querySelector("[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function when(iso) {
    var d = new Date(iso);
    return (d.getMonth() + 1) + "-" + String(d.getDate()).padStart(2, "0") + " " +
      String(d.getHours()).padStart(2, "0") + ":" + String(d.getMinutes()).padStart(2, "0");
  }

  function li(it, withDismiss) {
    var el = document.createElement("li");
    el.dataset.item = it.id;
    el.dataset.clientId = (it.body && it.body.client_id) || "";
    var text = document.createElement("span");
    text.textContent = when(it.created) + " " + (it.label || it.url);
    el.appendChild(text);
    if (it.message) {
      var m = document.createElement("span");
      m.className = withDismiss ? "errors" : "muted";
      m.textContent = " — " + it.message;
      el.appendChild(m);
    }
    if (withDismiss) {
      var b = document.createElement("button");
      b.type = "button";
      b.className = "linklike";
      b.textContent = msg("Dismiss");
      b.addEventListener("click", function () { WanggeQueue.remove(it.id).then(render); });
      el.appendChild(b);
    }
    return el;
  }

  async function render() {
    var items = await WanggeQueue.list(user);
    var waiting = items.filter(function (it) { return it.state !== "failed"; });
    var failed = items.filter(function (it) { return it.state === "failed"; });
    var count = $("sync-count"), list = $("sync-list"), fcount = $("sync-failed-count"), flist = $("sync-failed");
    if (!count) { return; }
    count.textContent = msg("Count", waiting.length);
    count.dataset.count = String(waiting.length);
    list.replaceChildren.apply(list, waiting.map(function (it) { return li(it, false); }));
    $("sync-waiting").hidden = waiting.length === 0;
    fcount.textContent = msg("Failed", failed.length);
    fcount.dataset.count = String(failed.length);
    flist.replaceChildren.apply(flist, failed.map(function (it) { return li(it, true); }));
    $("sync-failed-box").hidden = failed.length === 0;
    if (waiting.length || failed.length || ($("sync-status") && $("sync-status").textContent)) { panel.hidden = false; }
    // The households with a visit waiting here are marked on the lists.
    waiting.forEach(function (it) {
      if (it.body && it.body.household_id) {
        document.querySelectorAll("a.vcard[href$='/visits/household/" + it.body.household_id + "/']")
          .forEach(function (a) { a.classList.add("queued"); });
      }
    });
  }

  var flushing = null;
  function flush() {
    if (!navigator.onLine) { return Promise.resolve(null); }
    if (!flushing) {
      flushing = WanggeQueue.flush(user, csrf()).then(function (out) {
        if (out.sent.length) { status(msg("Synced", out.sent.length)); }
        if (out.blocked) { status(msg("Blocked") + out.blocked); }
        return render().then(function () { return out; });
      }).finally(function () { flushing = null; });
    }
    return flushing;
  }

  function requestSync() {
    if (!("serviceWorker" in navigator)) { return; }
    navigator.serviceWorker.ready.then(function (reg) {
      if (reg.sync) { return reg.sync.register("wangge-queue"); }
    }).catch(function () { /* Background Sync is a bonus: the pages replay on load and on "online" */ });
  }

  // --- saving pages on the phone ---------------------------------------------------------------------
  async function savePages(urls, force) {
    if (!navigator.onLine || !window.caches) { return 0; }
    var cache = await caches.open(PAGES), saved = 0, queue = urls.slice();
    async function worker() {
      while (queue.length) {
        var url = new URL(queue.shift(), location.origin);
        url.search = "";
        if (!force && await cache.match(url.href)) { saved++; continue; }
        try {
          var res = await fetch(url.href, { credentials: "same-origin" });
          if (res.status === 200 && !res.redirected) { await cache.put(url.href, res); saved++; }
        } catch (err) { return; }  // the network went: stop quietly
      }
    }
    await Promise.all([worker(), worker(), worker()]);
    return saved;
  }

  function pagesOfThisPage() {
    var urls = [location.pathname];
    document.querySelectorAll("a[data-offline-page]").forEach(function (a) { urls.push(a.getAttribute("href")); });
    // Today: each household due gets its visit form, its card and its correction form.
    document.querySelectorAll("a.vcard[href^='/visits/household/']").forEach(function (a) {
      var id = a.getAttribute("href").split("/")[3];
      urls.push(a.getAttribute("href"), "/registry/households/" + id + "/", "/registry/households/" + id + "/card/",
        "/offline/households/" + id + "/correct/");
    });
    if (today) { urls.push(today); }
    return urls.filter(function (u, i) { return urls.indexOf(u) === i; });
  }

  // --- forms ---------------------------------------------------------------------------------------------
  function num(fd, k) { var v = fd.get(k); return v === null || v === "" ? null : Number(v); }

  function visitBody(form) {
    var fd = new FormData(form), checklist = {}, findings = [];
    fd.forEach(function (v, k) { if (k.indexOf("check_") === 0 && v) { checklist[k.slice(6)] = v; } });
    var desc = String(fd.get("finding_description") || "").trim(), cat = String(fd.get("finding_category") || "");
    if (desc || cat) { findings.push({ category: cat, description: desc }); }
    return {
      household_id: Number(form.dataset.household),
      client_id: String(fd.get("client_id")),
      visited_at: new Date().toISOString(),
      kind: String(fd.get("kind") || "routine"),
      duration_minutes: num(fd, "duration_minutes"),
      lat: num(fd, "lat"), lng: num(fd, "lng"), accuracy_m: num(fd, "accuracy_m"),
      checklist: checklist,
      notes: String(fd.get("notes") || ""),
      findings: findings
    };
  }

  async function queueVisit(form) {
    await WanggeQueue.add({ user: user, url: form.dataset.queueUrl, method: "POST", body: visitBody(form),
      label: form.dataset.label, csrf: csrf() });
    requestSync();
    sessionStorage.setItem("wangge-offline-flash", msg("Queued"));
    location.assign(today);
  }

  // Online, the form goes to its page as always (the server's messages next to the fields); with no network,
  // or when the post cannot reach the server, the visit is queued with the same client_id.
  async function submitVisit(form) {
    var button = form.querySelector("button[type=submit]");
    if (button) { button.disabled = true; }
    if (!navigator.onLine) { return queueVisit(form); }
    var res;
    try {
      res = await fetch(form.action, { method: "POST", body: new FormData(form), credentials: "same-origin",
        redirect: "manual" });
    } catch (err) {
      return queueVisit(form);
    }
    if (res.type === "opaqueredirect" || (res.status >= 300 && res.status < 400)) { location.assign(today); return; }
    if (res.status >= 500) { return queueVisit(form); }
    var doc = new DOMParser().parseFromString(await res.text(), "text/html");
    var fresh = doc.querySelector("main"), main = document.querySelector("main");
    if (fresh && main) {
      main.replaceChildren.apply(main, Array.from(fresh.childNodes).map(function (n) { return document.importNode(n, true); }));
      refreshPanel();
    }
  }

  function fieldError(id, text) {
    var el = $(id);
    if (!el) { return; }
    el.textContent = text || "";
    el.hidden = !text;
  }

  async function submitCorrection(form) {
    ["error-resident", "error-phone", "error-form"].forEach(function (id) { fieldError(id, ""); });
    var select = form.elements.resident, option = select.selectedOptions[0];
    if (!select.value) { fieldError("error-resident", form.dataset.msgChoose); return; }
    if (!form.dataset.clientId) { form.dataset.clientId = WanggeQueue.uuid(); }
    var version = option.dataset.version;
    var item = await WanggeQueue.add({
      user: user, url: form.dataset.queueUrl, method: "POST", csrf: csrf(),
      label: form.dataset.label + " · " + option.textContent,
      body: {
        client_id: form.dataset.clientId, target: "resident", target_id: Number(select.value), kind: "phone",
        base_version: version === "" || version === undefined ? null : Number(version),
        data: { phone: form.elements.phone.value.trim() }
      }
    });
    var out = navigator.onLine ? await flush() : null;
    var sent = out && out.sent.find(function (s) { return s.item.id === item.id; });
    var failed = out && out.failed.find(function (f) { return f.id === item.id; });
    if (failed) {
      // Answered at once: the message goes next to its field, and the item off the failed list.
      await WanggeQueue.remove(item.id);
      (failed.errors.length ? failed.errors : [{ field: "", message: failed.message }]).forEach(function (e) {
        var f = e.field || "";
        fieldError(/phone/.test(f) ? "error-phone" : (/target/.test(f) ? "error-resident" : "error-form"), e.message);
      });
      await render();
      return;
    }
    delete form.dataset.clientId;
    form.reset();
    if (sent) {
      var st = sent.body && sent.body.status;
      status(st === "conflict" ? msg("Conflict") : (st === "pending" ? msg("Pending") : form.dataset.msgDone));
    } else {
      status(msg("Queued"));
      requestSync();
    }
    await render();
  }

  function bindForms() {
    var visit = $("visit-form");
    if (visit && !visit.dataset.offlineBound) {
      visit.dataset.offlineBound = "1";
      // A page opened from the phone's copy carries an old client id: every form shown gets its own.
      visit.elements.client_id.value = WanggeQueue.uuid();
    }
  }

  function refreshPanel() {
    panel = document.getElementById("offline-sync") || panel;
    bindForms();
    render();
  }

  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    if (form.id === "visit-form" && form.dataset.queueUrl) { ev.preventDefault(); submitVisit(form); }
    else if (form.id === "correct-form") { ev.preventDefault(); submitCorrection(form); }
  });
  document.addEventListener("click", function (ev) {
    if (ev.target && ev.target.id === "sync-now") { flush(); }
    if (ev.target && ev.target.id === "offline-save") {
      savePages(pagesOfThisPage(), true).then(function (n) { $("offline-saved").textContent = msg("Saved", n); });
    }
  });
  window.addEventListener("online", function () { flush(); });
  // Another script of the page (the patrol page) put an item in the queue: show it.
  document.addEventListener("wangge:queued", function () { render(); });
  window.addEventListener("offline", function () { status(msg("Offline")); });

  var flash = sessionStorage.getItem("wangge-offline-flash");
  if (flash) { sessionStorage.removeItem("wangge-offline-flash"); status(flash); }
  if (!navigator.onLine) { status(msg("Offline")); }
  bindForms();

  var ready = Promise.resolve();
  if ("serviceWorker" in navigator) {
    ready = navigator.serviceWorker.register(panel.dataset.sw, { scope: "/" })
      .then(function () { return navigator.serviceWorker.ready; })
      .catch(function () { /* no service worker (e.g. plain http): the pages still work online */ });
    navigator.serviceWorker.addEventListener("message", function (ev) {
      if (ev.data && ev.data.type === "wangge-synced") { render(); }
    });
  }
  render().then(flush).then(function () { return ready; }).then(function () {
    return savePages(pagesOfThisPage(), false);
  }).then(function (n) {
    var saved = $("offline-saved");
    if (saved && n) { saved.textContent = msg("Saved", n); }
    panel.dataset.ready = "1";  // tests wait for this: the service worker is active and the pages saved
  });
})();
