// The sync queue of a grid worker's phone, shared by the pages (offline.js) and the service worker (sw.js).
// Each item is one API request recorded while the network was down: url, method, JSON body (with the
// client_id the server takes it once by), the account it belongs to, and when it was made. Items are kept
// in IndexedDB (idb-keyval) and replayed in the order they were made.
(function (root) {
  "use strict";
  var kv = root.idbKeyval;
  var store = kv.createStore("wangge-sync", "queue");

  function uuid() {
    if (root.crypto && root.crypto.randomUUID) { return root.crypto.randomUUID(); }
    var b = root.crypto.getRandomValues(new Uint8Array(16)), h = [];
    b[6] = (b[6] & 15) | 64; b[8] = (b[8] & 63) | 128;
    for (var i = 0; i < 16; i++) { h.push((b[i] + 256).toString(16).slice(1)); }
    return h.slice(0, 4).join("") + "-" + h.slice(4, 6).join("") + "-" + h.slice(6, 8).join("") + "-" +
      h.slice(8, 10).join("") + "-" + h.slice(10).join("");
  }

  // Keys sort in the order the items were made: zero-padded milliseconds (strictly increasing within a
  // page, so two items made in the same millisecond keep their order), then a random tail.
  var lastTime = 0;
  function newKey() {
    lastTime = Math.max(Date.now(), lastTime + 1);
    return String(lastTime).padStart(15, "0") + "-" + uuid().slice(0, 8);
  }

  async function add(item) {
    item.id = newKey();
    item.created = new Date().toISOString();
    item.state = "waiting";
    item.message = "";
    await kv.set(item.id, item, store);
    return item;
  }

  // The items of one account (the phone may have been used by another), oldest first.
  async function list(user) {
    var entries = await kv.entries(store);
    return entries.map(function (e) { return e[1]; })
      .filter(function (it) { return it && String(it.user) === String(user); })
      .sort(function (a, b) { return a.id < b.id ? -1 : (a.id > b.id ? 1 : 0); });
  }

  function remove(id) { return kv.del(id, store); }
  function save(item) { return kv.set(item.id, item, store); }

  // One replay at a time across the pages and the service worker of this phone.
  function exclusive(fn) {
    var nav = root.navigator;
    if (nav && nav.locks && nav.locks.request) { return nav.locks.request("wangge-sync", fn); }
    return fn();
  }

  // Not the item's fault: keep it and stop (a later try may pass). Anything else 4xx is the item's fault.
  function transient(status, detail) {
    return status === 401 || status === 408 || status === 429 || status >= 500 ||
      (status === 403 && /csrf/i.test(detail || ""));
  }

  // Replays the account's waiting items in order. 2xx: gone (a re-send answers 200 with the stored record;
  // the server takes each client_id once). 4xx: moved to the failed list with the server's message. No
  // network (or a transient answer): the item and everything after it stay, in order.
  async function flush(user, csrf) {
    return exclusive(async function () {
      var items = (await list(user)).filter(function (it) { return it.state !== "failed"; });
      var out = { sent: [], failed: [], left: 0, blocked: "" };
      for (var i = 0; i < items.length; i++) {
        var it = items[i], res, payload = null;
        try {
          res = await fetch(it.url, {
            method: it.method || "POST",
            credentials: "same-origin",
            headers: { "Content-Type": "application/json", "Accept": "application/json",
              "X-CSRFToken": csrf || it.csrf || "" },
            body: JSON.stringify(it.body)
          });
        } catch (err) {
          out.left = items.length - i;
          break;
        }
        try { payload = await res.json(); } catch (err) { payload = null; }
        var detail = (payload && payload.detail) || ("HTTP " + res.status);
        if (res.ok) {
          await remove(it.id);
          out.sent.push({ item: it, status: res.status, body: payload });
        } else if (transient(res.status, detail)) {
          it.message = detail;
          await save(it);
          out.left = items.length - i;
          out.blocked = detail;
          break;
        } else {
          it.state = "failed";
          it.status = res.status;
          it.message = detail;
          it.errors = (payload && payload.errors) || [];
          await save(it);
          out.failed.push(it);
        }
      }
      return out;
    });
  }

  root.WanggeQueue = { uuid: uuid, add: add, list: list, remove: remove, save: save, flush: flush };
})(self);
