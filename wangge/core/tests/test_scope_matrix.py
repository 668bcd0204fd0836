"""Scope across the role matrix, on every endpoint: found automatically, checked the same way.

For each role (admin, district, street, community staff, grid worker, department, property, resident,
volunteer) and each GET endpoint of ``/api/v1/openapi.json`` and each page with a path parameter:

- a record made outside the role's reach answers exactly as a missing one, and that is 404 (403 only where
  the role may not use the endpoint at all, for every id alike); the admin gets the same record (200), so
  the 404s are not the factory's fault;
- lists never hold out-of-scope rows, and do hold the row made in the role's own area;
- records public by design (``PUBLIC``, with the reason) answer 200 to every role and 404 when missing.

The tables are in ``endpoints.py``; an endpoint or page that is not in them fails the first test.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from wangge.testing import api_client

from .endpoints import (
    AREA_ROLES,
    DETAIL,
    LISTS,
    OWNER_ONLY,
    PAGES,
    PUBLIC,
    ROLE_FORBIDDEN,
    ROLES,
    ListCase,
    World,
    make_world,
    missing_params,
)


def schema_gets() -> tuple[list[str], list[str]]:
    """(GET paths with a path parameter, GET paths without) from the live OpenAPI schema."""
    resp = Client().get("/api/v1/openapi.json")
    assert resp.status_code == 200
    gets = [p for p, ops in resp.json()["paths"].items() if "get" in ops]
    return [p for p in gets if "{" in p], [p for p in gets if "{" not in p]


def page_patterns() -> dict[str, list[str]]:
    """URL name → its parameter names, for every page URL (not the API, not Django's admin) that has one."""
    out: dict[str, list[str]] = {}

    def walk(patterns: list[Any], prefix: str, ns: str | None) -> None:
        for p in patterns:
            if isinstance(p, URLResolver):
                inner = f"{ns}:{p.namespace}" if ns and p.namespace else (p.namespace or ns)
                walk(p.url_patterns, prefix + str(p.pattern), inner)
            elif isinstance(p, URLPattern):
                route = prefix + str(p.pattern)
                if route.startswith(("api/", "admin/")):
                    continue
                converters = getattr(p.pattern, "converters", {}) or {}
                names = list(converters) or list(p.pattern.regex.groupindex)
                if names:
                    out[f"{ns}:{p.name}" if ns else str(p.name)] = names

    walk(get_resolver().url_patterns, "", None)
    return out


def test_every_endpoint_and_page_has_an_entry(db: Any) -> None:
    """A new GET endpoint with a path id, list endpoint or page with a parameter needs its row in
    ``endpoints.py`` (a factory, or for lists/pages a written reason) — it cannot be forgotten."""
    detail, lists = schema_gets()
    pages = page_patterns()
    problems = [f"no factory in DETAIL for {p}" for p in detail if p not in DETAIL]
    problems += [f"no entry in LISTS for {p}" for p in lists if p not in LISTS]
    problems += [f"no entry in PAGES for the page {n}" for n in pages if n not in PAGES]
    problems += [f"DETAIL names {p}, which is gone" for p in DETAIL if p not in detail]
    problems += [f"LISTS names {p}, which is gone" for p in LISTS if p not in lists]
    problems += [f"PAGES names {n}, which is gone" for n in PAGES if n not in pages]
    assert not problems, "\n".join(problems)


@pytest.fixture
def world(tree: Any, settings: Any, tmp_path: Any) -> World:
    settings.MEDIA_ROOT = tmp_path
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return make_world(tree)


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_detail_out_of_scope_answers_404_as_missing(world: World, role: str) -> None:
    client = api_client(world.users[role])
    problems = []
    for path, make in DETAIL.items():
        params = make(world, world.out_area(role))
        got = client.get(path.format(**params)).status_code
        missing = client.get(path.format(**missing_params(params))).status_code
        if role == "admin" or path in PUBLIC:  # the positive control (or a public record: found by all)
            ok = got == 200 and missing == 404
        else:
            allowed = {404} | ({403} if role in ROLE_FORBIDDEN.get(path, set()) else set())
            ok = got == missing and got in allowed
        if not ok:
            problems.append(f"{path} {params}: out of scope {got}, missing {missing}")
    assert not problems, f"{role}:\n" + "\n".join(problems)


@pytest.mark.django_db
@pytest.mark.parametrize("role", AREA_ROLES)
def test_detail_in_scope_is_found(world: World, role: str) -> None:
    """The same records made inside the role's area are found: the 404s above are about scope."""
    client = api_client(world.users[role])
    problems = []
    for path, make in DETAIL.items():
        if path in OWNER_ONLY:
            continue
        params = make(world, world.in_area)
        got = client.get(path.format(**params)).status_code
        if got != 200:
            problems.append(f"{path} {params}: {got}")
    assert not problems, f"{role}:\n" + "\n".join(problems)


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_lists_never_hold_out_of_scope_rows(world: World, role: str) -> None:
    client = api_client(world.users[role])
    problems = []
    for path, case in LISTS.items():
        if not isinstance(case, ListCase):
            continue
        out_value = case.make(world, world.out_area(role))
        in_value = case.make(world, world.in_area) if role in case.sees_own_area else None
        resp = client.get(path + case.query)
        if resp.status_code == 403 and role not in ("admin", *case.sees_own_area):
            continue  # a role that may not list these at all
        if resp.status_code != 200:
            problems.append(f"{path}: {resp.status_code}")
            continue
        seen = case.read(resp)
        if role == "admin":
            if case.sees_own_area and out_value not in seen:
                problems.append(f"{path}: the admin does not see {out_value!r} (positive control)")
        elif out_value in seen:
            problems.append(f"{path}: lists {out_value!r} from {world.out_area(role).code}")
        if in_value is not None and in_value not in seen:
            problems.append(f"{path}: does not list {in_value!r} of the role's own area")
    assert not problems, f"{role}:\n" + "\n".join(problems)


def _page_url(name: str, kwargs: dict[str, Any]) -> str:
    return reverse(name, kwargs=kwargs)


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_pages_out_of_scope_answer_404_as_missing(world: World, role: str) -> None:
    client = Client()
    client.force_login(world.users[role])
    problems = []
    for name, entry in PAGES.items():
        if isinstance(entry, str):
            continue
        api_path, mapping = entry
        params = DETAIL[api_path](world, world.out_area(role))
        kwargs = {k: params[v] for k, v in mapping.items()}
        got = client.get(_page_url(name, kwargs)).status_code
        gone = client.get(_page_url(name, missing_params(kwargs))).status_code
        if role == "admin" or name in PUBLIC:
            ok = got == 200 and gone == 404
        else:
            allowed = {404} | ({403} if role in ROLE_FORBIDDEN.get(name, set()) else set())
            ok = got == gone and got in allowed
        if not ok:
            problems.append(f"{name} {kwargs}: out of scope {got}, missing {gone}")
    assert not problems, f"{role}:\n" + "\n".join(problems)


@pytest.mark.django_db
@pytest.mark.parametrize("role", AREA_ROLES)
def test_pages_in_scope_open(world: World, role: str) -> None:
    client = Client()
    client.force_login(world.users[role])
    problems = []
    for name, entry in PAGES.items():
        if isinstance(entry, str) or name in OWNER_ONLY:
            continue
        api_path, mapping = entry
        params = DETAIL[api_path](world, world.in_area)
        kwargs = {k: params[v] for k, v in mapping.items()}
        got = client.get(_page_url(name, kwargs)).status_code
        if got != 200:
            problems.append(f"{name} {kwargs}: {got}")
    assert not problems, f"{role}:\n" + "\n".join(problems)


@pytest.mark.django_db
def test_post_only_pages_refuse_get(world: World) -> None:
    """Pages listed as POST-only really are (otherwise they need a factory in PAGES)."""
    client = Client()
    client.force_login(world.admin)
    params = page_patterns()
    problems = []
    for name, entry in PAGES.items():
        if entry != "POST":
            continue
        kwargs = {
            k: (1 if k in ("pk", "notification_id", "resident_id", "company_id") else "x")
            for k in params[name]
        }
        got = client.get(_page_url(name, kwargs)).status_code
        if got != 405:
            problems.append(f"{name}: GET answers {got}")
    assert not problems, "\n".join(problems)
