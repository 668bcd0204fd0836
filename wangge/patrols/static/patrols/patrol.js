// The running patrol page: sample the phone's position with watchPosition every data-sample-seconds, show the
// points recorded and the last accuracy, post them in batches to the API (a re-sent batch lands once: each
// point is keyed by its time), send the 发现问题 form to the API and show each error next to its field, and
// upload what is left before the stop form is sent. Settings, URLs and texts come from data-* attributes.
// Without a network (a basement, a stairwell) nothing is lost: points, discoveries and the stop go into the
// phone's sync queue (offline/queue.js) and are sent in order when the network returns — each lands once
// (points by their time, a discovery by its client id, a second stop changes nothing).
/* global WanggeQueue */
(function () {
  "use strict";
  var box = document.getElementById("patrol-run");
  if (!box) { return; }
  var d = box.dataset;
  var every = Math.max(1, parseInt(d.sampleSeconds, 10) || 15) * 1000;
  var maxAcc = parseFloat(d.maxAccuracy) || 50;
  var batch = Math.max(1, parseInt(d.batchSize, 10) || 100);
  var pending = [], recorded = 0, lastAt = 0, last = null, sending = false;
  var $ = function (id) { return document.getElementById(id); };
  var status = $("gps-status");

  var panel = $("offline-sync");
  var queue = panel && window.WanggeQueue ? window.WanggeQueue : null;

  // Puts an API request into the phone's queue; the sync panel shows it and replays it when online.
  function enqueue(url, body, label) {
    if (!queue) { return Promise.reject(new Error("no queue")); }
    return queue.add({ user: panel.dataset.user, url: url, method: "POST", body: body, csrf: d.csrf, label: label })
      .then(function (item) { document.dispatchEvent(new CustomEvent("wangge:queued")); return item; });
  }

  // No answer, or the server failed: worth a later try. A 4xx is the request's fault and is not queued.
  function unreachable(status) { return status === 0 || status >= 500; }

  function post(url, body) {
    return fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRFToken": d.csrf},
      body: JSON.stringify(body)
    });
  }

  function flush() {
    if (sending || !pending.length) { return Promise.resolve(); }
    sending = true;
    var chunk = pending.slice(0, batch);
    return post(d.pointsUrl, {points: chunk}).then(function (r) {
      if (!r.ok) { var e = new Error(String(r.status)); e.status = r.status; throw e; }
      return r.json();
    }).then(function (res) {
      pending = pending.slice(chunk.length);
      $("pt-saved").textContent = res.point_count;
      sending = false;
      if (pending.length) { return flush(); }
    }).catch(function (err) {
      status.textContent = d.msgOffline;
      if (!queue || !unreachable(err.status || 0)) { sending = false; return; }
      // Kept on the phone, not in this page's memory: closing the page offline loses nothing.
      return enqueue(d.pointsUrl, {points: chunk}, d.msgQueuedPoints.replace("{n}", chunk.length)).then(function () {
        pending = pending.slice(chunk.length);
      }).finally(function () { sending = false; });
    });
  }

  function onFix(p) {
    var acc = Math.round(p.coords.accuracy);
    last = p;
    $("pt-acc").textContent = acc;
    $("pt-acc").className = acc > maxAcc ? "poor" : "";
    status.textContent = acc > maxAcc ? d.msgPoor : d.msgGood;
    var form = $("discovery-form");
    if (form) { form.lat.value = p.coords.latitude; form.lng.value = p.coords.longitude; }
    var at = p.timestamp || Date.now();
    if (at - lastAt < every - 200) { return; }
    lastAt = at;
    pending.push({
      recorded_at: new Date(at).toISOString(),
      lat: p.coords.latitude, lng: p.coords.longitude, accuracy_m: p.coords.accuracy
    });
    recorded += 1;
    $("pt-count").textContent = recorded;
    if (pending.length >= batch) { flush(); }
  }

  if (!navigator.geolocation) {
    status.textContent = d.msgNoGps;
  } else {
    navigator.geolocation.watchPosition(onFix, function () { status.textContent = d.msgNoGps; },
      {enableHighAccuracy: true, maximumAge: 0, timeout: 30000});
    // A phone standing still may report no new fix: sample the last one again on the clock.
    window.setInterval(function () {
      if (last && Date.now() - lastAt >= every) {
        onFix({coords: last.coords, timestamp: Date.now()});
      }
      flush();
    }, every);
  }

  // 发现问题: posted to the API; errors shown under their fields.
  var form = $("discovery-form");
  if (form) {
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      var fields = ["category", "description", "checklist_code", "discovery"];
      fields.forEach(function (f) { var el = $("error-" + f); el.hidden = true; el.textContent = ""; });
      $("discovery-made").hidden = true;
      var body = {
        client_id: form.client_id.value, category: form.category.value,
        description: form.description.value, checklist_code: form.checklist_code.value
      };
      if (form.lat.value && form.lng.value) { body.lat = parseFloat(form.lat.value); body.lng = parseFloat(form.lng.value); }
      var button = $("report-discovery");
      button.disabled = true;
      post(form.dataset.api, body).then(function (r) {
        return r.json().then(function (data) { return {ok: r.ok, data: data}; });
      }).then(function (res) {
        button.disabled = false;
        if (!res.ok) {
          var errors = res.data.errors && res.data.errors.length ? res.data.errors : [{field: "", message: res.data.detail}];
          errors.forEach(function (err) {
            var el = $("error-" + err.field) || $("error-discovery");
            el.textContent = el.textContent ? el.textContent + "；" + err.message : err.message;
            el.hidden = false;
          });
          return;
        }
        var made = $("discovery-made");
        made.textContent = form.dataset.msgMade + " #" + res.data.appeal_id;
        made.hidden = false;
        var none = $("no-discoveries");
        if (none) { none.remove(); }
        var li = document.createElement("li"), a = document.createElement("a"), b = document.createElement("b");
        a.className = "vcard"; a.href = "/appeals/" + res.data.appeal_id + "/"; a.dataset.appeal = res.data.appeal_id;
        b.textContent = "#" + res.data.appeal_id + " " + res.data.category_name;
        a.appendChild(b); a.appendChild(document.createTextNode(" " + res.data.description));
        li.appendChild(a); $("discoveries").appendChild(li);
        form.description.value = ""; form.category.value = ""; form.checklist_code.value = "";
        form.client_id.value = (window.crypto && crypto.randomUUID) ? crypto.randomUUID() : String(Date.now()) + Math.random();
      }).catch(function () {
        // No network: the discovery waits on the phone with its client id and becomes a case once it lands.
        enqueue(form.dataset.api, body, form.dataset.msgQueuedLabel + " " + form.description.value.slice(0, 20)).then(function () {
          button.disabled = false;
          var made = $("discovery-made");
          made.textContent = panel.dataset.msgQueued;
          made.hidden = false;
          form.description.value = ""; form.category.value = ""; form.checklist_code.value = "";
          form.client_id.value = queue.uuid();
        }).catch(function () {
          button.disabled = false;
          var el = $("error-discovery"); el.textContent = form.dataset.msgFailed; el.hidden = false;
        });
      });
    });
  }

  // Stop: upload what is left first, then send the form.
  var stop = $("stop-form");
  if (stop) {
    stop.addEventListener("submit", function (e) {
      if (queue && navigator.onLine === false) {
        // Offline: the points left and then the stop go into the queue, in that order, and the worker goes
        // back to today (the phone's copy). The stop keeps the time it was made.
        e.preventDefault();
        var checklist = {};
        new FormData(stop).forEach(function (v, k) { if (k.indexOf("check_") === 0 && v) { checklist[k.slice(6)] = v; } });
        var left = pending.splice(0, pending.length);
        var first = left.length ? enqueue(d.pointsUrl, {points: left}, d.msgQueuedPoints.replace("{n}", left.length)) : Promise.resolve();
        first.then(function () {
          return enqueue(d.stopUrl, {ended_at: new Date().toISOString(), checklist: checklist, notes: stop.elements.notes.value},
            d.msgQueuedStop);
        }).then(function () { window.location.assign(panel.dataset.today); });
        return;
      }
      if (!pending.length) { return; }
      e.preventDefault();
      flush().then(function () { stop.submit(); });
    });
  }
})();
