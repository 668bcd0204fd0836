"""Several app servers on one PostgreSQL: the case loop runs across two `wangge serve` processes (submit on
one, dispatch on the other) and a boundary edit rebuilds the grid index on both. Plus the settings that make
several servers possible: sessions in the database, uploads on S3-compatible storage when configured."""

from __future__ import annotations

import json
import socket
import subprocess
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from django.db import connection

from wangge.accounts.models import Unit
from wangge.accounts.roles import Role
from wangge.accounts.services import token_create
from wangge.areas.services import area_set_boundary
from wangge.testing import Tree, make_user, rect

from ._support import PYTHON, REPO, child_env


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def two_servers() -> Iterator[list[str]]:
    if connection.vendor != "postgresql":
        pytest.skip("several app servers need PostgreSQL (SQLite is one machine's file)")
    ports = [_free_port(), _free_port()]
    procs = [
        subprocess.Popen(
            [
                PYTHON,
                "-m",
                "wangge.cli",
                "serve",
                "--port",
                str(p),
                "--no-tick",
                "--workers",
                "2",
                "--threads",
                "2",
            ],
            cwd=REPO,
            env=child_env(WANGGE_CONN_MAX_AGE="0"),
            stdout=subprocess.DEVNULL,
        )
        for p in ports
    ]
    urls = [f"http://127.0.0.1:{p}" for p in ports]
    try:
        deadline = time.monotonic() + 90
        for url, proc in zip(urls, procs, strict=True):
            while True:
                assert proc.poll() is None, "wangge serve exited"
                try:
                    if requests.get(url + "/healthz", timeout=2).status_code == 200:
                        break
                except requests.RequestException:
                    pass
                assert time.monotonic() < deadline, f"{url} did not start"
                time.sleep(0.3)
        yield urls
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()


def _locate(url: str, lat: float, lng: float, headers: dict[str, str]) -> str | None:
    res = requests.get(
        f"{url}/api/v1/areas/locate", params={"lat": lat, "lng": lng}, headers=headers, timeout=10
    )
    assert res.status_code == 200, res.text
    grid = res.json()["grid"]
    return grid["code"] if grid else None


@pytest.mark.django_db(transaction=True)
def test_the_case_loop_runs_across_two_app_servers(tree: Tree, two_servers: list[str], settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    a, b = two_servers
    resident = make_user(Role.RESIDENT)
    community = make_user(Role.COMMUNITY_STAFF, tree.community)
    unit = Unit.objects.create(name="海安安居物业", kind=Unit.Kind.PROPERTY_COMPANY, area=tree.community)
    as_resident = {"Authorization": f"Bearer {token_create(user=resident)}"}
    as_community = {"Authorization": f"Bearer {token_create(user=community)}"}
    lat, lng = Tree.point_in(tree.grid_a)

    # Submitted on server A ...
    res = requests.post(
        f"{a}/api/v1/appeals",
        json={"category": "SQ0101", "description": "3单元楼道灯不亮", "lat": lat, "lng": lng},
        headers=as_resident,
        timeout=30,
    )
    assert res.status_code == 201, res.text
    case_id = res.json()["id"]
    # ... accepted and dispatched on server B, and seen in its new state on A at once.
    detail = requests.get(f"{b}/api/v1/appeals/{case_id}", headers=as_community, timeout=30)
    assert detail.status_code == 200 and detail.json()["area_code"] == tree.grid_a.code, detail.text
    res = requests.post(f"{b}/api/v1/appeals/{case_id}/accept", json={}, headers=as_community, timeout=30)
    assert res.status_code == 200, res.text
    res = requests.post(
        f"{b}/api/v1/appeals/{case_id}/dispatch",
        json={"lead_unit_id": unit.pk},
        headers=as_community,
        timeout=30,
    )
    assert res.status_code == 200 and res.json()["state"] == "dispatched", res.text
    assert requests.get(f"{a}/api/v1/appeals/{case_id}", headers=as_resident, timeout=30).json()["state"] == (
        "dispatched"
    )
    # A stale write from A is refused with the current version (no per-process state hides B's change).
    stale = requests.post(
        f"{a}/api/v1/appeals/{case_id}/dispatch",
        json={"lead_unit_id": unit.pk},
        headers=as_community,
        timeout=30,
    )
    assert stale.status_code == 409, stale.text

    # The grid index: both servers route a point in the west of grid B to B; the boundary shrinks east.
    west_of_b = (tree.grid_b.center_lat or 0.0, (tree.grid_b.center_lng or 0.0) - 0.003)
    for _ in range(4):  # several requests, so both gunicorn workers of each server have built their index
        assert (
            _locate(a, *west_of_b, as_resident) == tree.grid_b.code
            and _locate(b, *west_of_b, as_resident) == tree.grid_b.code
        )
    lng0 = (tree.grid_b.center_lng or 0.0) - 0.005
    area_set_boundary(
        area=tree.grid_b, boundary=rect(lng0 + 0.005, 32.50, 0.005, 0.01), by=make_user(Role.ADMIN)
    )
    deadline = time.monotonic() + 20
    while any(_locate(url, *west_of_b, as_resident) is not None for url in (a, b, a, b)):
        assert time.monotonic() < deadline, "a server kept its old grid index"
        time.sleep(0.5)
    for _ in range(4):
        assert _locate(a, *west_of_b, as_resident) is None and _locate(b, *west_of_b, as_resident) is None


def _settings_in_child(**env: str) -> dict[str, Any]:
    script = (
        "import json, django; django.setup(); from django.conf import settings;"
        "from django.core.files.storage import storages; s = storages['default'];"
        "print(json.dumps({'storage': type(s).__name__, 'bucket': getattr(s, 'bucket_name', None),"
        "'endpoint': getattr(s, 'endpoint_url', None), 'location': getattr(s, 'location', None),"
        "'sessions': settings.SESSION_ENGINE, 'cache': settings.CACHES['default']['BACKEND']}))"
    )
    base = {k: v for k, v in child_env().items() if not k.startswith(("WANGGE_S3_", "WANGGE_CACHE_URL"))}
    out = subprocess.run(
        [PYTHON, "-c", script], cwd=REPO, env={**base, **env}, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_uploads_go_to_s3_compatible_storage_only_when_configured() -> None:
    local = _settings_in_child()
    assert local["storage"] == "FileSystemStorage"
    assert local["sessions"] == "django.contrib.sessions.backends.db"
    assert local["cache"].endswith("LocMemCache")
    s3 = _settings_in_child(
        WANGGE_S3_BUCKET="wangge-media",
        WANGGE_S3_ENDPOINT_URL="http://minio.intranet:9000",
        WANGGE_S3_ACCESS_KEY="ak",
        WANGGE_S3_SECRET_KEY="sk",
        WANGGE_CACHE_URL="redis://127.0.0.1:6379/3",
    )
    assert s3["storage"] == "S3Storage"
    assert (s3["bucket"], s3["endpoint"], s3["location"]) == (
        "wangge-media",
        "http://minio.intranet:9000",
        "media",
    )
    assert s3["cache"] == "django.core.cache.backends.redis.RedisCache"
