"""The service worker, the manifest and icons, the 离线准备 list and the correction form (server side)."""

from __future__ import annotations

import io
import json
import re
from typing import Any

import pytest
from django.contrib.staticfiles import finders
from django.test import Client

from wangge.accounts.roles import Role
from wangge.offline import views
from wangge.testing import make_tree, make_user
from wangge.visits.tests.factories import make_household


def _config(body: str) -> dict[str, Any]:
    first, _, rest = body.partition("\n")
    assert first.startswith("self.WANGGE_SW = ") and first.endswith(";")
    assert "importScripts" in rest  # then the worker itself (static/offline/sw.js)
    return json.loads(first.removeprefix("self.WANGGE_SW = ").removesuffix(";"))


@pytest.mark.django_db
def test_the_service_worker_is_served_from_the_root_with_its_settings() -> None:
    res = Client().get("/sw.js")
    assert res.status_code == 200
    assert res["Content-Type"].startswith("application/javascript")
    assert res["Service-Worker-Allowed"] == "/"
    cfg = _config(res.content.decode())
    # Same-origin scripts only (CSP script-src 'self'): Workbox and idb-keyval from our own static files.
    assert cfg["scripts"][0] == "/static/vendor/workbox/workbox-core.prod.js"
    assert cfg["scripts"][-2:] == ["/static/vendor/idb-keyval.js", "/static/offline/queue.js"]
    assert all(s.startswith("/static/") for s in cfg["scripts"])
    assert all(finders.find(s.removeprefix("/static/")) for s in cfg["scripts"]), "run `make vendor`"
    urls = {p["url"]: p["revision"] for p in cfg["precache"]}
    assert {"/static/offline/offline.js", "/static/visits/record.js", "/static/wangge/app.css"} <= set(urls)
    assert "/offline/icon-192.png" in urls
    pages = re.compile(cfg["pages"])
    for path in [
        "/visits/today/",
        "/visits/household/12/",
        "/registry/households/7/",
        "/offline/",
        "/offline/households/7/correct/",
    ]:
        assert pages.search(path), path
    for path in [
        "/registry/residents/3/reveal/phone/",
        "/appeals/",
        "/visits/household/12/x",
        "/accounts/login/",
    ]:
        assert not pages.search(path), path
    assert cfg["clearOn"] == ["/accounts/login/", "/accounts/logout/"]


def test_a_changed_static_file_gets_a_new_revision(tmp_path: Any, settings: Any) -> None:
    (tmp_path / "offline").mkdir()
    f = tmp_path / "offline" / "probe.js"
    f.write_text("one")
    settings.STATICFILES_DIRS = [tmp_path]
    views._revision.cache_clear()
    first = views._revision("offline/probe.js")
    views._revision.cache_clear()
    f.write_text("two")
    assert views._revision("offline/probe.js") not in (None, first)
    assert views._revision("offline/missing.js") is None
    views._revision.cache_clear()


@pytest.mark.django_db
def test_the_manifest_installs_the_today_page() -> None:
    res = Client().get("/manifest.webmanifest")
    assert res.status_code == 200 and res["Content-Type"].startswith("application/manifest+json")
    data = json.loads(res.content)
    assert (data["start_url"], data["scope"], data["display"]) == ("/visits/today/", "/", "standalone")
    assert data["short_name"] == "网格宝"
    assert [i["sizes"] for i in data["icons"]] == ["192x192", "512x512"]


@pytest.mark.django_db
def test_the_icons_are_pngs_of_their_size() -> None:
    from PIL import Image

    for size in (192, 512):
        res = Client().get(f"/offline/icon-{size}.png")
        assert res.status_code == 200 and res["Content-Type"] == "image/png"
        img = Image.open(io.BytesIO(res.content))
        assert img.size == (size, size)
        assert img.getpixel((1, 1)) == (185, 28, 28)
    assert Client().get("/offline/icon-64.png").status_code == 404


@pytest.mark.django_db
def test_the_offline_list_holds_the_workers_households_only(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    tree = make_tree()
    worker = make_user(Role.GRID_WORKER, tree.grid_a)
    mine = [make_household(tree.grid_a) for _ in range(2)]
    other = make_household(tree.grid_b)
    client = Client()
    client.force_login(worker)
    res = client.get("/offline/")
    assert res.status_code == 200
    html = res.content.decode()
    for h in mine:
        for url in (
            f"/registry/households/{h.pk}/",
            f"/visits/household/{h.pk}/",
            f"/offline/households/{h.pk}/correct/",
        ):
            assert f'href="{url}" data-offline-page' in html
    assert f"/registry/households/{other.pk}/" not in html
    assert 'id="offline-sync"' in html and 'data-user="' + worker.username + '"' in html
    # The correction form: in scope it opens, out of scope it is missing.
    assert client.get(f"/offline/households/{mine[0].pk}/correct/").status_code == 200
    assert client.get(f"/offline/households/{other.pk}/correct/").status_code == 404
    # A resident has no grid worker pages.
    resident = Client()
    resident.force_login(make_user(Role.RESIDENT, tree.grid_a))
    assert resident.get("/offline/").status_code == 404


@pytest.mark.django_db
def test_the_list_is_capped(settings: Any) -> None:
    settings.WANGGE_OFFLINE_HOUSEHOLDS = 2
    tree = make_tree()
    worker = make_user(Role.GRID_WORKER, tree.grid_a)
    for _ in range(3):
        make_household(tree.grid_a)
    client = Client()
    client.force_login(worker)
    html = client.get("/offline/").content.decode()
    assert html.count("data-household=") == 2
    assert "只保存前 2 户" in html
