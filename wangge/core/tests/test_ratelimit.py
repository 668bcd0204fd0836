"""Per-user rate limits on case submissions and uploads: 429 with a clear message, on pages and APIs."""

from __future__ import annotations

import io
import time
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.test import Client
from PIL import Image

from wangge.accounts.roles import Role
from wangge.testing import PASSWORD, Tree, api_client, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_hashing(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


class _Clock:
    """The rate limiter's clock, held still: the windows are fixed, and a test that happened to straddle a
    window's end would see its count start again. ``advance`` moves it on."""

    def __init__(self) -> None:
        self.now = time.time()

    def time(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture(autouse=True)
def clock(monkeypatch: Any) -> _Clock:
    import django_ratelimit.core

    c = _Clock()
    monkeypatch.setattr(django_ratelimit.core, "time", c)
    return c


def _category() -> str:
    from wangge.appeals.models import Category

    category = Category.objects.filter(parent__isnull=False).order_by("code").first()
    assert category is not None
    return category.code


def _submit(client: Client, tree: Tree, n: int) -> Any:
    lat, lng = Tree.point_in(tree.grid_a)
    return client.post(
        "/api/v1/appeals",
        {"category": _category(), "description": f"第{n}次反映：路灯不亮", "lat": lat, "lng": lng},
        content_type="application/json",
    )


def _png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (32, 24), (200, 30, 30)).save(buf, "PNG")
    return buf.getvalue()


def test_the_default_limits() -> None:
    assert django_settings.WANGGE_RATE_SUBMISSIONS == "10/m"
    assert django_settings.WANGGE_RATE_UPLOADS == "120/h"


def test_the_eleventh_case_in_a_minute_is_refused_with_a_429(tree: Tree) -> None:
    resident = make_user(Role.RESIDENT)
    client = api_client(resident)
    for n in range(10):
        assert _submit(client, tree, n).status_code == 201
    res = _submit(client, tree, 10)
    assert res.status_code == 429
    body = res.json()
    assert body["detail"] == "提交过于频繁：每分钟最多提交 10 次，请稍后再试。"
    assert 1 <= int(res["Retry-After"]) <= 60
    from wangge.appeals.models import Appeal

    assert Appeal.objects.filter(description__startswith="第10次").count() == 0  # refused before any work
    # Another user is not held back by this one.
    assert _submit(api_client(make_user(Role.RESIDENT)), tree, 0).status_code == 201


def test_the_limit_lifts_when_the_window_has_passed(tree: Tree, settings: Any, clock: _Clock) -> None:
    settings.WANGGE_RATE_SUBMISSIONS = "2/m"
    client = api_client(make_user(Role.RESIDENT))
    assert [_submit(client, tree, n).status_code for n in range(3)] == [201, 201, 429]
    clock.advance(61)
    assert _submit(client, tree, 3).status_code == 201


def test_the_report_page_answers_429_with_the_reason(tree: Tree, settings: Any) -> None:
    settings.WANGGE_RATE_SUBMISSIONS = "2/m"
    user = make_user(Role.RESIDENT)
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    # Every attempt counts, a rejected form too: the limit guards the server's work, not the outcome.
    for _ in range(2):
        assert client.post("/appeals/report/", {"description": ""}).status_code != 429
    res = client.post("/appeals/report/", {"description": ""})
    assert res.status_code == 429
    text = res.content.decode()
    assert "操作过于频繁" in text and "每分钟最多提交 2 次" in text
    assert res["Retry-After"]
    # Reading the page is not a submission.
    assert client.get("/appeals/report/").status_code == 200
    # An htmx request gets the fragment.
    res = client.post("/appeals/report/", {"description": ""}, HTTP_HX_REQUEST="true")
    assert (
        res.status_code == 429
        and "<html" not in res.content.decode()
        and "每分钟最多提交" in res.content.decode()
    )


def test_uploads_count_only_requests_that_carry_files(tree: Tree, settings: Any) -> None:
    settings.WANGGE_RATE_UPLOADS = "2/h"
    settings.WANGGE_RATE_SUBMISSIONS = ""  # off: only the upload limit is in play
    worker = make_user(Role.GRID_WORKER, tree.grid_a)
    client = api_client(worker)
    case_id = _submit(client, tree, 0).json()["id"]

    def attach() -> Any:
        return client.post(
            f"/api/v1/appeals/{case_id}/attachments",
            {"file": io.BytesIO(_png()), "purpose": "report"},
        )

    assert attach().status_code == 201
    assert attach().status_code == 201
    res = attach()
    assert res.status_code == 429
    assert "上传过于频繁" in res.json()["detail"] and "每小时最多上传 2 次" in res.json()["detail"]
    # Submissions without files go on (the submission limit is off here).
    assert _submit(client, tree, 1).status_code == 201


def test_open311_submissions_are_limited_in_the_spec_error_shape(tree: Tree, settings: Any) -> None:
    settings.WANGGE_RATE_SUBMISSIONS = "1/m"
    worker = make_user(Role.GRID_WORKER, tree.grid_a)
    key = api_client(worker).defaults["HTTP_AUTHORIZATION"].split()[1]
    lat, lng = Tree.point_in(tree.grid_a)
    data = {"api_key": key, "service_code": _category(), "description": "井盖缺失", "lat": lat, "long": lng}
    first = Client().post("/open311/v2/requests.json", data)
    assert first.status_code == 201, first.content
    res = Client().post("/open311/v2/requests.json", data)
    assert res.status_code == 429
    assert res.json()[0]["code"] == 429 and "提交过于频繁" in res.json()[0]["description"]


def test_an_empty_setting_switches_a_limit_off(tree: Tree, settings: Any) -> None:
    settings.WANGGE_RATE_SUBMISSIONS = ""
    client = api_client(make_user(Role.RESIDENT))
    assert all(_submit(client, tree, n).status_code == 201 for n in range(12))


def test_the_message_names_the_window() -> None:
    from wangge.core.ratelimit import _message

    assert _message("submissions", "5/10m") == "提交过于频繁：每10分钟最多提交 5 次，请稍后再试。"
    assert _message("uploads", "120/h") == "上传过于频繁：每小时最多上传 120 次，请稍后再试。"
