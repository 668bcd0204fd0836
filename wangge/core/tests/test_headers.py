"""Security headers on real pages: a Content-Security-Policy with no inline script (and no page that needs one),
and ``Cache-Control: no-store`` on every response to a signed-in user.

The walk builds the small demo district (every app's demo data) and, for each role, follows the menu and the
links on the pages it reaches, the way a person would click through."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urldefrag, urlsplit

import pytest
from django.test import Client

import wangge
from wangge.accounts.models import User

ROLES = [
    "admin",
    "district",
    "community",
    "gridworker001",
    "department",
    "property",
    "resident",
    "volunteer001",
]
PAGES_PER_ROLE = 45
# Links a walk must not follow: they change state, download files or leave the pages.
SKIP = re.compile(r"^/(accounts/logout|i18n/|admin/|media/|static/|api/)|/export|/template|\.xlsx|\.csv")
EXECUTABLE_SCRIPT_TYPES = {"", "text/javascript", "module", "application/javascript"}


class _Page(HTMLParser):
    """Collects inline scripts, inline event handlers, javascript: URLs and same-site links."""

    def __init__(self) -> None:
        super().__init__()
        self.inline_scripts: list[str] = []
        self.handlers: list[str] = []
        self.links: list[str] = []
        self._in_inline = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k.lower(): (v or "") for k, v in attrs}
        for name, value in a.items():
            if name.startswith("on") or name.startswith("hx-on"):
                self.handlers.append(f"<{tag} {name}={value!r}>")
            if name in {"href", "src", "action", "formaction"} and value.strip().lower().startswith(
                "javascript:"
            ):
                self.handlers.append(f"<{tag} {name}={value!r}>")
        if tag == "script" and "src" not in a and a.get("type", "").lower() in EXECUTABLE_SCRIPT_TYPES:
            self._in_inline = True
            self.inline_scripts.append("")
        if tag == "a" and a.get("href", "").startswith("/"):
            self.links.append(urldefrag(a["href"])[0])

    def handle_data(self, data: str) -> None:
        if self._in_inline:
            self.inline_scripts[-1] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_inline = False


def _parse(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    return page


def _csp_directives(header: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            out[words[0]] = words[1:]
    return out


def assert_csp(response: Any, where: str) -> None:
    header = response.get("Content-Security-Policy", "")
    assert header, f"no Content-Security-Policy on {where}"
    directives = _csp_directives(header)
    scripts = directives.get("script-src", directives.get("default-src"))
    assert scripts == ["'self'"], f"{where}: script-src {scripts}"
    assert directives.get("object-src") == ["'none'"] and directives.get("frame-ancestors") == ["'none'"]


def _walk(client: Client, start: list[str]) -> Iterator[tuple[str, Any]]:
    seen: set[str] = set()
    queue = list(start)
    while queue and len(seen) < PAGES_PER_ROLE:
        url = queue.pop(0)
        if url in seen or SKIP.search(urlsplit(url).path):
            continue
        seen.add(url)
        res = client.get(url)
        yield url, res
        if res.status_code == 200 and "text/html" in res.get("Content-Type", ""):
            # Breadth first, one link per distinct path shape (…/12/ and …/13/ are the same page).
            for link in _parse(res.content.decode()).links:
                shape = re.sub(r"\d+", "N", urlsplit(link).path)
                if link not in seen and not any(
                    re.sub(r"\d+", "N", urlsplit(q).path) == shape for q in queue
                ):
                    queue.append(link)


@pytest.fixture
def demo_district(db: Any, settings: Any) -> None:
    """The small demo district with every app's demo data, and a few cases submitted over the API (the case
    loop's own demo hook makes hundreds of cases and would take minutes here)."""
    import importlib

    from wangge.appeals.models import Category
    from wangge.demo.build import build_demo
    from wangge.demo.context import DEMO_HOOK_APPS
    from wangge.testing import api_client

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    ctx = build_demo(size="small", seed=11, run_hooks=False).context
    for app in DEMO_HOOK_APPS:
        if app != "appeals":
            importlib.import_module(f"wangge.{app}.demo").populate_demo(ctx)
    category = Category.objects.filter(parent__isnull=False).order_by("code").first()
    assert category is not None
    grid = ctx.grids[0]
    for username in ("gridworker001", "resident", "gridworker001"):
        res = api_client(ctx.users[username]).post(
            "/api/v1/appeals",
            {
                "category": category.code,
                "description": "楼道堆放杂物，影响通行",
                "lat": grid.center_lat,
                "lng": grid.center_lng,
            },
            content_type="application/json",
        )
        assert res.status_code in (200, 201), res.content


@pytest.mark.slow
def test_every_page_has_the_policy_no_inline_script_and_is_not_stored(demo_district: None) -> None:
    from wangge.core.navigation import nav_for

    visited = 0
    problems: list[str] = []
    for username in ROLES:
        user = User.objects.filter(username=username).first()
        assert user is not None, f"demo account {username} missing"
        client = Client()
        client.force_login(user)
        start = [item["url"] for item in nav_for(user)]
        for url, res in _walk(client, start):
            visited += 1
            where = f"{username} {url} ({res.status_code})"
            assert res.status_code < 500, where
            assert_csp(res, where)
            cache_control = res.get("Cache-Control", "")
            if "no-store" not in cache_control or "private" not in cache_control:
                problems.append(f"{where}: Cache-Control {cache_control!r}")
            if "text/html" in res.get("Content-Type", ""):
                page = _parse(res.content.decode())
                problems += [f"{where}: inline script {s.strip()[:60]!r}" for s in page.inline_scripts]
                problems += [f"{where}: {h}" for h in page.handlers]
    assert not problems, "\n".join(problems)
    assert visited >= 60  # the walk really went through the site


def test_signed_out_pages_have_the_policy_and_the_login_page_has_no_inline_script(db: Any) -> None:
    client = Client()
    for url in ["/accounts/login/", "/wishes/", "/api/v1/docs", "/healthz"]:
        res = client.get(url)
        assert res.status_code == 200, url
        assert_csp(res, url)
        if "text/html" in res.get("Content-Type", ""):
            page = _parse(res.content.decode())
            assert not page.inline_scripts and not page.handlers, (url, page.inline_scripts, page.handlers)


def test_public_answers_are_not_marked_private(db: Any) -> None:
    res = Client().get("/wishes/")
    assert res.status_code == 200
    assert "no-store" not in res.get("Cache-Control", "")


def test_api_answers_to_a_token_are_not_stored(db: Any) -> None:
    from wangge.accounts.roles import Role
    from wangge.testing import api_client, make_user

    res = api_client(make_user(Role.RESIDENT)).get("/api/v1/auth/me")
    assert res.status_code == 200
    assert "no-store" in res["Cache-Control"] and "private" in res["Cache-Control"]
    # An API call without a token reveals nothing and is not marked.
    assert "no-store" not in Client().get("/api/v1/openapi.json").get("Cache-Control", "")


def test_api_docs_serve_swagger_from_our_own_static_files(db: Any) -> None:
    html = Client().get("/api/v1/docs").content.decode()
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert any(s.endswith("swagger-ui-bundle.js") for s in sources), sources
    for s in sources:
        assert s.startswith("/static/"), f"{s} is not served by us"
    assert not re.search(r"https?://", html.replace("http://www.w3.org", "")), (
        "an external URL in the docs page"
    )


def _templates() -> list[Path]:
    root = Path(wangge.__file__).parent
    return sorted(p for p in root.rglob("*.html") if "static/vendor" not in str(p))


INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)(?![^>]*type=\"application/(?:ld\+)?json\")[^>]*>", re.I)
INLINE_HANDLER = re.compile(r"\s(?:on[a-z]+|hx-on[:\w-]*)\s*=", re.I)


@pytest.mark.parametrize("path", _templates(), ids=lambda p: str(p.relative_to(Path(wangge.__file__).parent)))
def test_no_template_holds_inline_script(path: Path) -> None:
    """Every template, including pages the walk cannot reach: scripts are static files, handlers listeners."""
    text = path.read_text()
    assert not INLINE_SCRIPT.search(text), "inline <script>: move it to a static file"
    assert not INLINE_HANDLER.search(text), "inline event handler: use a listener (static/wangge/app.js)"
    assert "javascript:" not in text
