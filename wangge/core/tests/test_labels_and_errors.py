"""Messages in the user's words: a bad field is named by its label, never by its machine name; the error pages
are styled, in Chinese, with a way back; downloads keep their Chinese file names."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote

import pytest
from django.test import Client, override_settings

from wangge.core.downloads import content_disposition
from wangge.core.errors import InvalidInput, from_django_validation
from wangge.core.labels import field_label, has_label

ROOT = Path(__file__).resolve().parents[2]
LITERAL = re.compile(r"InvalidInput\.field\(\s*f?\"([a-z_0-9.{}]+)\"")


def _literal_field_names() -> set[str]:
    names: set[str] = set()
    for path in ROOT.rglob("*.py"):
        if "tests" in path.parts or "migrations" in path.parts:
            continue
        for name in LITERAL.findall(path.read_text(encoding="utf-8")):
            names.add(re.sub(r"\{[^}]*\}", "0", name))
    return names


@pytest.mark.django_db
def test_every_field_a_service_names_has_a_chinese_label() -> None:
    names = _literal_field_names()
    assert len(names) > 100  # the scan found the services' fields
    missing = sorted(n for n in names if not has_label(n))
    assert missing == []


@pytest.mark.django_db
def test_the_detail_names_the_label_not_the_field() -> None:
    exc = InvalidInput.field("code", "签到码不正确")
    assert exc.detail == "签到码：签到码不正确" or exc.detail == "签到码不正确"
    assert exc.errors == [{"field": "code", "message": "签到码不正确"}]  # the API's entry keeps its shape
    exc = InvalidInput.field("hours", "须为数字")
    assert exc.detail == "核定时长：须为数字"
    assert "hours" not in exc.detail
    # A dotted path reads as its parts.
    assert field_label("parties.1.name") == "当事人 第2项 名称"


@pytest.mark.django_db
def test_a_model_fields_verbose_name_is_its_label() -> None:
    from django.core.exceptions import ValidationError

    # volunteers.Signup.checked_in_at has verbose_name "签到时间" and no entry in FIELD_LABELS.
    assert field_label("checked_in_at") == "签到时间"
    exc = from_django_validation(ValidationError({"checked_in_at": ["不能晚于现在"]}))
    assert exc.detail == "签到时间：不能晚于现在"


@pytest.mark.django_db
def test_api_422_detail_uses_the_label(client: Client) -> None:
    from wangge.testing import make_user

    user = make_user("admin", username="labeluser")
    client.force_login(user)
    res = client.post("/api/v1/auth/token", {"username": 5}, content_type="application/json")
    body = res.json()
    assert res.status_code == 422, body
    assert "password: " not in body["detail"] and "username: " not in body["detail"]


def test_content_disposition_keeps_the_chinese_name() -> None:
    header = content_disposition("居民信息导入模板.xlsx")
    assert header.startswith('attachment; filename="')
    encoded = header.split("filename*=UTF-8''", 1)[1]
    assert unquote(encoded) == "居民信息导入模板.xlsx"
    assert all(ord(ch) < 128 for ch in header)  # the header itself is plain ASCII
    # Path parts and quotes never get through.
    assert content_disposition('../a"b.csv') == "attachment; filename=\"a_b.csv\"; filename*=UTF-8''a%22b.csv"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "status", "heading"),
    [("/no-such-page/", 404, "页面不存在"), ("/appeals/999999999/", 404, "页面不存在")],
)
def test_error_pages_are_styled_in_chinese_with_a_way_back(path: str, status: int, heading: str) -> None:
    from wangge.testing import make_user

    client = Client()
    client.force_login(make_user("admin", username="errpage"))
    res = client.get(path)
    html = res.content.decode()
    assert res.status_code == status
    assert heading in html and "回到首页" in html and 'href="/"' in html
    assert "favicon" in html


@pytest.mark.django_db
def test_csrf_failure_is_a_page_in_chinese() -> None:
    from wangge.testing import make_user

    client = Client(enforce_csrf_checks=True)
    client.force_login(make_user("admin", username="csrfuser"))
    res = client.post("/notifications/read-all/")
    html = res.content.decode()
    assert res.status_code == 403
    assert "页面已过期" in html and "回到首页" in html


@pytest.mark.django_db
def test_server_error_page_needs_nothing(rf) -> None:  # type: ignore[no-untyped-def]
    from wangge.core.error_views import server_error

    res = server_error(rf.get("/"))
    assert res.status_code == 500 and "服务器出错了" in res.content.decode()


@pytest.mark.django_db
def test_htmx_error_is_a_marked_fragment() -> None:
    from wangge.testing import make_user

    client = Client()
    client.force_login(make_user("admin", username="hxuser"))
    res = client.get("/no-such-page/", HTTP_HX_REQUEST="true")
    assert res.status_code == 404 and res["X-Wangge-Error"] == "1"
    assert "data-error-fragment" in res.content.decode() and "<html" not in res.content.decode()


@override_settings(DEBUG=False)
def test_favicon_is_served_at_the_root() -> None:
    res = Client().get("/favicon.ico")
    assert res.status_code == 302 and res["Location"].endswith("wangge/favicon.ico")
