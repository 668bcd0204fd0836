// Nearest open places: ask the phone for its location, then /api/v1/places/nearest. Strings come from data-*.
(function () {
  "use strict";
  var box = document.getElementById("near");
  if (!box) return;
  var btn = document.getElementById("locate");
  var status = document.getElementById("near-status");
  var list = document.getElementById("near-list");
  var t = box.dataset;

  function card(p) {
    var li = document.createElement("li");
    li.className = "card place";
    var a = document.createElement("a");
    a.href = t.detail.replace(/0\/$/, p.id + "/");
    var b = document.createElement("b");
    b.textContent = p.name;
    a.appendChild(b);
    li.appendChild(a);
    [[p.kind_display, "badge kind"], [p.open_now ? t.tOpen : t.tClosed, p.open_now ? "badge open" : "badge closed"]]
      .concat(p.in_circle ? [[t.tCircle, "badge open"]] : [])
      .forEach(function (x) {
        var s = document.createElement("span");
        s.className = x[1];
        s.textContent = x[0];
        li.appendChild(document.createTextNode(" "));
        li.appendChild(s);
      });
    var m = document.createElement("div");
    m.className = "muted";
    m.textContent = t.tMetres.replace("%(m)s", p.walking_m) + (p.address ? " · " + p.address : "");
    li.appendChild(m);
    return li;
  }

  btn.addEventListener("click", function () {
    if (!navigator.geolocation) { status.textContent = t.tDenied; return; }
    status.textContent = "…";
    navigator.geolocation.getCurrentPosition(function (pos) {
      var url = t.api + "?lat=" + pos.coords.latitude + "&lng=" + pos.coords.longitude + "&limit=5";
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
        .then(function (rows) {
          list.textContent = "";
          rows.forEach(function (p) { list.appendChild(card(p)); });
          status.textContent = rows.length ? "" : t.tNone;
        })
        .catch(function () { status.textContent = t.tFailed; });
    }, function () { status.textContent = t.tDenied; }, { enableHighAccuracy: true, timeout: 10000, maximumAge: 60000 });
  });
})();
