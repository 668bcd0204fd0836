// The service worker of the grid worker pages (served at /sw.js by wangge.offline.views.service_worker, which
// puts its settings in self.WANGGE_SW before this file). Workbox does the caching:
//  - the static files of the grid worker pages are precached (with revisions, refreshed on change);
//  - the pages (today, visit forms, household cards, the correction form, 离线准备) are network first with
//    the last good copy as the fallback, so they open with no network;
//  - other static files: stale-while-revalidate.
// The sync queue (queue.js) is replayed here on Background Sync; the pages replay it too.
/* global workbox, WanggeQueue */
(function () {
  "use strict";
  var cfg = self.WANGGE_SW;
  cfg.scripts.forEach(function (url) { importScripts(url); });

  var PAGES = "wangge-pages";
  var pagePath = new RegExp(cfg.pages);

  self.skipWaiting();
  workbox.core.clientsClaim();
  workbox.precaching.cleanupOutdatedCaches();
  workbox.precaching.precacheAndRoute(cfg.precache);

  // Only a real 200 page is kept: not a redirect to the login page, not an error page.
  var goodPagesOnly = {
    cacheWillUpdate: async function (p) {
      var r = p.response;
      return r && r.status === 200 && !r.redirected ? r : null;
    },
    // One copy per page, whatever its query string (?lat=&lng= on today).
    cacheKeyWillBeUsed: async function (p) {
      var url = new URL(p.request.url);
      url.search = "";
      return url.href;
    }
  };
  workbox.routing.registerRoute(
    function (o) {
      return o.request.mode === "navigate" && o.url.origin === self.location.origin && pagePath.test(o.url.pathname);
    },
    new workbox.strategies.NetworkFirst({
      cacheName: PAGES,
      networkTimeoutSeconds: cfg.networkTimeoutSeconds,
      plugins: [goodPagesOnly, new workbox.expiration.ExpirationPlugin({ maxAgeSeconds: 30 * 24 * 3600 })]
    })
  );
  workbox.routing.registerRoute(
    function (o) { return o.url.origin === self.location.origin && o.url.pathname.indexOf(cfg.staticPrefix) === 0; },
    new workbox.strategies.StaleWhileRevalidate({
      cacheName: "wangge-static",
      plugins: [
        new workbox.cacheableResponse.CacheableResponsePlugin({ statuses: [200] }),
        new workbox.expiration.ExpirationPlugin({ maxEntries: 200 })
      ]
    })
  );

  // A sign-in or sign-out drops the saved pages: they were made for the previous account. The queue stays
  // (each item names its account and is replayed only while that account is signed in).
  self.addEventListener("fetch", function (event) {
    var url = new URL(event.request.url);
    if (event.request.method === "POST" && url.origin === self.location.origin && cfg.clearOn.indexOf(url.pathname) >= 0) {
      event.waitUntil(caches.delete(PAGES));
    }
  });

  async function csrfToken() {
    try {
      if (self.cookieStore) {
        var c = await self.cookieStore.get("csrftoken");
        if (c) { return c.value; }
      }
    } catch (err) { /* fall back to the token saved with each item */ }
    return "";
  }

  async function replay() {
    var res = await fetch(cfg.me, { credentials: "same-origin", headers: { "Accept": "application/json" } });
    if (!res.ok) { return; }  // signed out: the items wait for their account
    var me = await res.json();
    var out = await WanggeQueue.flush(me.username, await csrfToken());
    var windows = await self.clients.matchAll({ type: "window" });
    windows.forEach(function (w) { w.postMessage({ type: "wangge-synced", sent: out.sent.length, failed: out.failed.length }); });
    if (out.left) { throw new Error("still waiting"); }  // Background Sync tries again later
  }

  self.addEventListener("sync", function (event) {
    if (event.tag === "wangge-queue") { event.waitUntil(replay()); }
  });
})();
