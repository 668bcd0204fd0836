"""Issue 9: forms pick places on a map and areas from the tree; nobody types a latitude, a longitude or an area
code. The rule (``wangge.areas.typed_places``) is checked on every template, every Django form of the apps and
the rendered pages that carry place pickers."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from pathlib import Path
from typing import Any

import pytest
from django import forms
from django.test import Client

import wangge
from wangge.accounts.roles import Role
from wangge.areas.typed_places import typed_places_in_html
from wangge.testing import make_user

ROOT = Path(wangge.__file__).parent


def test_the_rule_flags_typed_codes_and_coordinates_and_nothing_else() -> None:
    bad = """
      <input name="area" placeholder="区域编码">
      <input type="number" name="lat"><input type="text" name="longitude">
      <input name="home_lng"><input type="search" name="q" aria-label="网格编码">
      <input name="where" placeholder="经度, 纬度">
    """
    assert [why for _, why in typed_places_in_html(bad)] == [
        'name="area"',
        'name="lat"',
        'name="longitude"',
        'name="home_lng"',
        'aria-label says "网格编码"',
        'placeholder says "经度"',
    ]
    fine = """
      <input type="hidden" name="lat"><input type="hidden" name="area">
      <select name="area"><option value="320621">海安市</option></select>
      <input name="code" inputmode="numeric" maxlength="6"><input type="checkbox" name="lat">
      <input type="search" name="q" placeholder="楼栋名称或地址"><input name="{{ field.name }}">
    """
    assert typed_places_in_html(fine) == []


def _template_sources() -> list[Path]:
    return sorted(p for p in ROOT.rglob("templates/**/*.html") if "site-packages" not in str(p))


def test_no_template_has_an_input_for_a_typed_place() -> None:
    found = []
    paths = _template_sources()
    assert len(paths) > 100  # the walk reaches the apps' templates
    for path in paths:
        text = re.sub(r"{%.*?%}", "", path.read_text(encoding="utf-8"))  # tags inside attributes
        found += [f"{path.relative_to(ROOT)}:{line} {why}" for line, why in typed_places_in_html(text)]
    assert found == []


def _form_classes() -> list[type[forms.BaseForm]]:
    out: dict[str, type[forms.BaseForm]] = {}
    for app in pkgutil.iter_modules(wangge.__path__):
        for sub in ("forms", "views"):
            try:
                module = importlib.import_module(f"wangge.{app.name}.{sub}")
            except ModuleNotFoundError:
                continue
            for _, cls in inspect.getmembers(module, inspect.isclass):
                if issubclass(cls, forms.BaseForm) and cls.__module__.startswith("wangge."):
                    out[f"{cls.__module__}.{cls.__qualname__}"] = cls
    return list(out.values())


@pytest.mark.django_db
def test_no_django_form_renders_a_typed_place() -> None:
    classes = _form_classes()
    names = {c.__name__ for c in classes}
    assert {"ReportForm", "ActivityForm"} <= names  # the walk reaches the apps' forms
    found = []
    for cls in classes:
        for name, field in cls.base_fields.items():
            html = field.widget.render(name, None, attrs={"id": f"id_{name}"})
            found += [
                f"{cls.__module__}.{cls.__name__}.{name}: {why}" for _, why in typed_places_in_html(html)
            ]
    assert found == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    "role,url",
    [
        (Role.RESIDENT, "/appeals/report/"),
        (Role.COMMUNITY_STAFF, "/appeals/report/"),
        (Role.COMMUNITY_STAFF, "/volunteers/manage/new/"),
        (Role.COMMUNITY_STAFF, "/registry/buildings/"),
        (Role.COMMUNITY_STAFF, "/registry/residents/"),
        (Role.COMMUNITY_STAFF, "/registry/households/"),
    ],
)
def test_pages_with_places_offer_pickers_not_typed_codes(tree: Any, role: str, url: str) -> None:
    user = make_user(role, tree.community) if role != Role.RESIDENT else make_user(role)
    c = Client()
    c.force_login(user)
    r = c.get(url)
    assert r.status_code == 200, (url, r.status_code)
    html = r.content.decode()
    assert typed_places_in_html(html) == []
    assert 'name="area"' in html or 'name="lat"' in html  # the place is still asked for, by a picker
    if 'name="area"' in html:
        # The area is chosen by name from the viewer's tree; its code is only the option's value.
        assert re.search(r'<select name="area"', html) and tree.grid_a.name in html
        assert tree.other_community.name not in html or role == Role.RESIDENT
